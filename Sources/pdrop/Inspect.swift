import ArgumentParser
import WeightIO

/// `pdrop inspect PATH`: lists the tensors of a weight file (safetensors or PyTorch `.bin`) or model folder.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the tensors of a weight file (safetensors or PyTorch .bin) or model folder (name, dtype, shape, bytes).")

    @Argument(help: "A .safetensors or .bin file, or a model folder.")
    var path: String

    func run() throws {
        let store = try WeightStore(path: path)
        var totalBytes = 0, totalElements = 0
        for name in store.names {
            let info = store.info(name)!
            let shape = "[" + info.shape.map(String.init).joined(separator: ", ") + "]"
            print("\(name)\t\(info.dtype.rawValue)\t\(shape)\t\(info.byteCount)")
            totalBytes += info.byteCount
            totalElements += info.shape.reduce(1, *)
        }
        print("\(store.names.count) tensors in \(store.sources.count) file(s), \(totalElements) elements, \(totalBytes) bytes")
    }
}
