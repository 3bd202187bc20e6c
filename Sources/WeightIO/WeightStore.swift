import Foundation
import Tensors

/// Tensors by name across one safetensors file or a model folder (sharded with
/// `model.safetensors.index.json`, a single `model.safetensors`, or any `*.safetensors` files).
/// Every file is mapped and validated on open; a name found in two files is an error.
public final class WeightStore: @unchecked Sendable {
    /// The file or folder this store was opened from.
    public let path: String
    /// The files, in name order.
    public let files: [SafeTensorsFile]
    private let location: [String: SafeTensorsFile]

    /// All tensor names, sorted.
    public var names: [String] { location.keys.sorted() }

    /// Opens a `.safetensors` file or a model folder.
    public init(path: String) throws {
        self.path = path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw WeightIOError.cannotOpen(path: path, reason: "no such file or folder")
        }
        guard isFolder.boolValue else {
            let file = try SafeTensorsFile(path: path)
            files = [file]
            location = Dictionary(uniqueKeysWithValues: file.names.map { ($0, file) })
            return
        }
        let folder = URL(fileURLWithPath: path)
        let indexPath = folder.appendingPathComponent("model.safetensors.index.json").path
        if FileManager.default.fileExists(atPath: indexPath) {
            (files, location) = try Self.openSharded(index: ShardedIndex(path: indexPath), folder: folder)
            return
        }
        let single = folder.appendingPathComponent("model.safetensors").path
        let names = FileManager.default.fileExists(atPath: single) ? ["model.safetensors"]
            : ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".safetensors") }.sorted()
        guard !names.isEmpty else { throw WeightIOError.noWeights(path: path) }
        files = try names.map { try SafeTensorsFile(path: folder.appendingPathComponent($0).path) }
        location = try Self.locate(files)
    }

    private static func locate(_ files: [SafeTensorsFile]) throws -> [String: SafeTensorsFile] {
        var location: [String: SafeTensorsFile] = [:]
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

    private static func openSharded(index: ShardedIndex, folder: URL) throws -> ([SafeTensorsFile], [String: SafeTensorsFile]) {
        let files = try index.shards.map { shard -> SafeTensorsFile in
            let shardPath = folder.appendingPathComponent(shard).path
            guard FileManager.default.fileExists(atPath: shardPath) else {
                throw WeightIOError.missingShard(path: index.path, shard: shard)
            }
            return try SafeTensorsFile(path: shardPath)
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

    /// The entry (dtype, shape, byte range) of `name`, if present.
    public func entry(_ name: String) -> SafeTensorsFile.Entry? { location[name]?.entries[name] }

    /// The tensor `name` (a view into its mapped file).
    public func tensor(_ name: String) throws -> Tensor {
        guard let file = location[name] else { throw WeightIOError.missingTensor(name: name, source: path) }
        return try file.tensor(name)
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
