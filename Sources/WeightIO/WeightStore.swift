import Foundation
import Tensors

/// Tensors by name across one weight file or a model folder (sharded with
/// `model.safetensors.index.json`, a single `model.safetensors`, or any `*.safetensors` files;
/// failing those, PyTorch checkpoints: `pytorch_model.bin.index.json` or `pytorch_model.bin`).
/// Every file is mapped and validated on open; a name found in two files is an error.
public final class WeightStore: @unchecked Sendable {
    /// The file or folder this store was opened from.
    public let path: String
    /// The files the tensors come from (safetensors or PyTorch checkpoints), in name order.
    public let sources: [any TensorSource]
    /// The safetensors files among `sources` (none when the weights are PyTorch checkpoints).
    public var files: [SafeTensorsFile] { sources.compactMap { $0 as? SafeTensorsFile } }
    private let location: [String: any TensorSource]

    /// All tensor names, sorted.
    public var names: [String] { location.keys.sorted() }

    /// A store over `sources` already opened (a model adapter's renamed GGUF tensors, say);
    /// `path` names it in errors. A name served by two sources is an error.
    public init(path: String, sources: [any TensorSource]) throws {
        self.path = path
        self.sources = sources
        location = try Self.locate(sources)
    }

    /// Opens a weight file (`.bin`, `.pt` and `.pth` are PyTorch checkpoints, anything else
    /// safetensors) or a model folder.
    public init(path: String) throws {
        self.path = path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw WeightIOError.cannotOpen(path: path, reason: "no such file or folder")
        }
        guard isFolder.boolValue else {
            let file: any TensorSource = ["bin", "pt", "pth"].contains(URL(fileURLWithPath: path).pathExtension)
                ? try TorchCheckpoint(path: path) : try SafeTensorsFile(path: path)
            sources = [file]
            location = Dictionary(uniqueKeysWithValues: file.names.map { ($0, file) })
            return
        }
        let folder = URL(fileURLWithPath: path)
        let indexPath = folder.appendingPathComponent("model.safetensors.index.json").path
        if FileManager.default.fileExists(atPath: indexPath) {
            (sources, location) = try Self.openSharded(index: ShardedIndex(path: indexPath), folder: folder, open: SafeTensorsFile.init)
            return
        }
        let single = folder.appendingPathComponent("model.safetensors").path
        let names = FileManager.default.fileExists(atPath: single) ? ["model.safetensors"]
            : ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".safetensors") }.sorted()
        if names.isEmpty {
            (sources, location) = try Self.openTorch(folder: folder)
            return
        }
        sources = try names.map { try SafeTensorsFile(path: folder.appendingPathComponent($0).path) }
        location = try Self.locate(sources)
    }

    /// A folder without safetensors: `pytorch_model.bin.index.json` or `pytorch_model.bin`
    /// (other `.bin` files, such as `training_args.bin`, are not weights).
    private static func openTorch(folder: URL) throws -> ([any TensorSource], [String: any TensorSource]) {
        let indexPath = folder.appendingPathComponent("pytorch_model.bin.index.json").path
        if FileManager.default.fileExists(atPath: indexPath) {
            return try openSharded(index: ShardedIndex(path: indexPath), folder: folder, open: TorchCheckpoint.init)
        }
        let single = folder.appendingPathComponent("pytorch_model.bin").path
        guard FileManager.default.fileExists(atPath: single) else { throw WeightIOError.noWeights(path: folder.path) }
        let files: [any TensorSource] = [try TorchCheckpoint(path: single)]
        return (files, try locate(files))
    }

    private static func locate(_ files: [any TensorSource]) throws -> [String: any TensorSource] {
        var location: [String: any TensorSource] = [:]
        for file in files {
            for name in file.names {
                if let other = location[name] {
                    throw WeightIOError.tensorInTwoShards(tensor: name, first: other.path, second: file.path)
                }
                location[name] = file
            }
        }
        return location
    }

    private static func openSharded(index: ShardedIndex, folder: URL, open: (String) throws -> any TensorSource) throws
        -> ([any TensorSource], [String: any TensorSource]) {
        let files = try index.shards.map { shard -> any TensorSource in
            let shardPath = folder.appendingPathComponent(shard).path
            guard FileManager.default.fileExists(atPath: shardPath) else {
                throw WeightIOError.missingShard(path: index.path, shard: shard)
            }
            return try open(shardPath)
        }
        let location = try locate(files)
        for name in index.weightMap.keys.sorted() {
            let shard = index.weightMap[name]!
            guard let actual = location[name] else {
                throw WeightIOError.badIndex(path: index.path, reason: "tensor '\(name)' is not in its shard \(shard)")
            }
            let actualShard = URL(fileURLWithPath: actual.path).lastPathComponent
            guard actualShard == shard else {
                throw WeightIOError.badIndex(path: index.path, reason: "tensor '\(name)' is listed in \(shard) but stored in \(actualShard)")
            }
        }
        if let stray = location.keys.sorted().first(where: { index.weightMap[$0] == nil }) {
            throw WeightIOError.badIndex(path: index.path, reason: "tensor '\(stray)' in \(location[stray]!.path) is not listed in weight_map")
        }
        return (files, location)
    }

    /// Whether a tensor called `name` exists.
    public func contains(_ name: String) -> Bool { location[name] != nil }

    /// The safetensors entry (dtype, shape, byte range) of `name`, if present in a safetensors file.
    public func entry(_ name: String) -> SafeTensorsFile.Entry? { (location[name] as? SafeTensorsFile)?.entries[name] }

    /// The dtype and shape of `name`, if present (in any kind of file).
    public func info(_ name: String) -> TensorInfo? { location[name]?.info(name) }

    /// The tensor `name` (a view into its mapped file).
    public func tensor(_ name: String) throws -> Tensor {
        guard let file = location[name] else { throw WeightIOError.missingTensor(name: name, source: path) }
        return try file.tensor(name)
    }

    /// Releases the resident pages of `name`'s bytes in its mapped file, once a converted copy
    /// has replaced it (nothing happens for tensors that are not views of a mapping).
    public func release(_ name: String) {
        guard let source = location[name], let mapping = source.mapping, let tensor = try? source.tensor(name) else { return }
        mapping.releasePages(of: tensor.rawBytes)
    }

    /// The float tensor `name`, which must have exactly `shape` and be stored as F32, F16 or BF16.
    public func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        let tensor = try tensor(name)
        guard tensor.dtype.isFloatReadable else { throw WeightIOError.notFloat(tensor: name, dtype: tensor.dtype.rawValue) }
        guard tensor.shape == shape else {
            throw WeightIOError.wrongShape(tensor: name, expected: shape, actual: tensor.shape, source: location[name]!.path)
        }
        return tensor
    }
}
