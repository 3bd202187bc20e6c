import WeightIO

/// Which part of a dataset one process evaluates: shard `index` of `count`. A sample belongs to
/// shard `h mod count`, where `h` is the first eight bytes (big-endian) of the SHA-256 of the
/// sample id's UTF-8 bytes — the same on every machine and in every process, so any `count`
/// machines can run shards `0..<count` independently (Python: `int.from_bytes(hashlib.sha256(
/// id.encode()).digest()[:8], "big") % count`).
public struct ShardSpec: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1, (0..<count).contains(index) else {
            throw EvaluationError.invalid("shard \(index)/\(count): the index must be in 0..<count and count ≥ 1")
        }
        self.index = index
        self.count = count
    }

    /// The whole dataset.
    public static let whole = try! ShardSpec(index: 0, count: 1)

    /// Parses `I/N`, or `auto/N`, which takes `I` from the job engine's environment: Slurm's
    /// `SLURM_ARRAY_TASK_ID` − `SLURM_ARRAY_TASK_MIN` (a job array), else Kubernetes'
    /// `JOB_COMPLETION_INDEX` (an Indexed Job).
    public init(parsing text: String, environment: [String: String]) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let count = Int(parts[1]) else {
            throw EvaluationError.invalid("--shard \(text): expected I/N or auto/N, e.g. 0/4")
        }
        if parts[0] == "auto" {
            if let task = environment["SLURM_ARRAY_TASK_ID"] {
                guard let id = Int(task), let first = Int(environment["SLURM_ARRAY_TASK_MIN"] ?? "0") else {
                    throw EvaluationError.invalid("--shard auto: SLURM_ARRAY_TASK_ID=\(task) or SLURM_ARRAY_TASK_MIN is not an integer")
                }
                try self.init(index: id - first, count: count)
            } else if let index = environment["JOB_COMPLETION_INDEX"] {
                guard let value = Int(index) else { throw EvaluationError.invalid("--shard auto: JOB_COMPLETION_INDEX=\(index) is not an integer") }
                try self.init(index: value, count: count)
            } else {
                throw EvaluationError.invalid("--shard auto/\(count): neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set")
            }
        } else {
            guard let index = Int(parts[0]) else { throw EvaluationError.invalid("--shard \(text): expected I/N or auto/N, e.g. 0/4") }
            try self.init(index: index, count: count)
        }
    }

    /// The shard `id` belongs to among `count`.
    public static func shard(of id: String, count: Int) -> Int {
        let digest = SHA256()
        digest.update(Array(id.utf8))
        let h = digest.finalize().prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Int(h % UInt64(count))
    }

    /// Whether `id` is this shard's.
    public func contains(_ id: String) -> Bool { Self.shard(of: id, count: count) == index }

    /// This shard's samples of `samples` after keeping the first `limit` (the limit applies before sharding).
    public func select(_ samples: [EvalSample], limit: Int?) -> [EvalSample] {
        samples.prefix(limit ?? samples.count).filter { contains($0.id) }
    }

    /// `shard-I-of-N`, the stem of this shard's files.
    public var name: String { "shard-\(index)-of-\(count)" }

    public var description: String { "\(index)/\(count)" }
}
