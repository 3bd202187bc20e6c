import ArgumentParser
import WeightIO

/// `pdrop inspect PATH`: lists the tensors of a weight file (safetensors, PyTorch `.bin` or GGUF)
/// or model folder; for GGUF also its metadata.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the tensors of a weight file (safetensors, PyTorch .bin or GGUF, with its metadata) or model folder (name, dtype, shape, bytes).")

    @Argument(help: "A .safetensors, .bin or .gguf file, or a model folder.")
    var path: String

    func run() throws {
        if path.hasSuffix(".gguf") { return try inspectGGUF() }
        let store = try WeightStore(path: path)
        var totalBytes = 0, totalElements = 0
        for name in store.names {
            let info = store.info(name)!
            print("\(name)\t\(info.dtype.rawValue)\t\(Self.shape(info.shape))\t\(info.byteCount)")
            totalBytes += info.byteCount
            totalElements += info.shape.reduce(1, *)
        }
        print("\(store.names.count) tensors in \(store.sources.count) file(s), \(totalElements) elements, \(totalBytes) bytes")
    }

    static func shape(_ dimensions: [Int]) -> String { "[" + dimensions.map(String.init).joined(separator: ", ") + "]" }

    /// Metadata (`key<TAB>type<TAB>value`, long arrays cut to their first 8 elements), then the
    /// tensors as for safetensors (row-major shape, ggml type; `read as Q8_0` after formats
    /// requantized at load, `not readable` after those refused), then a total.
    func inspectGGUF() throws {
        let file = try GGUFFile(path: path)
        print("GGUF version \(file.version), alignment \(file.alignment), \(file.metadata.count) metadata keys, \(file.tensors.count) tensors")
        for (key, value) in file.metadata { print("\(key)\t\(value.typeName)\t\(Self.describe(value))") }
        var totalBytes = 0, totalElements = 0, requantized = 0
        for tensor in file.tensors {
            let requantizes = GGUFTensorType.requantizedOnLoad.contains(tensor.type)
            let note = requantizes ? "\tread as Q8_0" : tensor.type.loadedDType == nil ? "\tnot readable" : ""
            print("\(tensor.name)\t\(tensor.type)\t\(Self.shape(tensor.shape))\t\(tensor.byteCount)\(note)")
            totalBytes += tensor.byteCount
            totalElements += tensor.elementCount
            if requantizes { requantized += 1 }
        }
        print("\(file.tensors.count) tensors, \(totalElements) elements, \(totalBytes) bytes"
            + (requantized > 0 ? "; \(requantized) requantized to Q8_0 when loaded (Q4_1, Q5_0, Q5_1, Q5_K, Q8_K)" : ""))
    }

    static func describe(_ value: GGUFValue) -> String {
        switch value {
        case .string(let text): return JSON.string(text).serialized()
        case .array(_, let elements):
            let shown = elements.prefix(8).map(describe).joined(separator: ", ")
            return "[" + shown + (elements.count > 8 ? ", … (\(elements.count) in all)" : "") + "]"
        case .bool(let flag): return String(flag)
        case .float32(let v): return String(v)
        case .float64(let v): return String(v)
        case .uint64(let v): return String(v)
        default: return value.intValue.map(String.init) ?? String(describing: value)
        }
    }
}
