import ArgumentParser
import WeightIO

/// `pdrop inspect PATH`: lists the tensors of a safetensors file or model folder.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the tensors of a safetensors file or model folder (name, dtype, shape, bytes).")

    @Argument(help: "A .safetensors file or a model folder.")
    var path: String

    func run() throws {
        let store = try WeightStore(path: path)
        var totalBytes = 0, totalElements = 0
        for name in store.names {
            let entry = store.entry(name)!
            let shape = "[" + entry.shape.map(String.init).joined(separator: ", ") + "]"
            print("\(name)\t\(entry.dtype.rawValue)\t\(shape)\t\(entry.range.count)")
            totalBytes += entry.range.count
            totalElements += entry.shape.reduce(1, *)
        }
        print("\(store.names.count) tensors in \(store.files.count) file(s), \(totalElements) elements, \(totalBytes) bytes")
    }
}
