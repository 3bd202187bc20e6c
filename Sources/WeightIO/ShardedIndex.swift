/// A `model.safetensors.index.json`: which shard file holds each tensor.
public struct ShardedIndex: Sendable {
    /// The index file's path.
    public let path: String
    /// Tensor name → shard file name (a bare file name in the same folder).
    public let weightMap: [String: String]
    /// `metadata` of the index (e.g. `total_size`), if any.
    public let metadata: [String: JSON]

    /// Shard file names, sorted.
    public var shards: [String] { Array(Set(weightMap.values)).sorted() }

    /// Reads and validates an index: `weight_map` must be an object of strings, each a bare file
    /// name (no `/`, no `..`); a tensor listed twice is an error.
    public init(path: String) throws {
        self.path = path
        let json: JSON
        do {
            json = try JSON.parse(contentsOf: path)
        } catch WeightIOError.duplicateKey(_, let key) {
            throw WeightIOError.badIndex(path: path, reason: "'\(key)' is listed twice")
        }
        guard case .object = json else { throw WeightIOError.badIndex(path: path, reason: "not a JSON object") }
        guard let map = json["weight_map"]?.objectValue else {
            throw WeightIOError.badIndex(path: path, reason: "missing object 'weight_map'")
        }
        var weightMap: [String: String] = [:]
        for name in map.keys.sorted() {
            let value = map[name]!
            guard let shard = value.stringValue else {
                throw WeightIOError.badIndex(path: path, reason: "weight_map['\(name)'] is \(value.kindName), expected a file name")
            }
            guard !shard.isEmpty, !shard.contains("/"), !shard.contains("\\"), !shard.contains("\u{0}"),
                  shard != ".", shard != ".." else {
                throw WeightIOError.unsafeShardName(path: path, shard: shard)
            }
            weightMap[name] = shard
        }
        self.weightMap = weightMap
        metadata = json["metadata"]?.objectValue ?? [:]
    }
}
