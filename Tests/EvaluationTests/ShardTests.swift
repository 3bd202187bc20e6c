import Evaluation
import Testing

/// Shard assignment: a fixed hash of the id (the same as Python's hashlib would give), every
/// sample in exactly one shard, the limit applied before sharding, and `auto/N` from the job
/// engines' environment variables.
@Suite struct ShardTests {
    static let samples = (0..<500).map { EvalSample(id: "q\($0)", image: nil, question: "?") }

    /// `int.from_bytes(hashlib.sha256(id.encode()).digest()[:8], "big") % n`, computed with Python 3.11.
    @Test func matchesHashlib() {
        #expect(ShardSpec.shard(of: "q0", count: 7) == 4)
        #expect(ShardSpec.shard(of: "q1", count: 7) == 4)
        #expect(ShardSpec.shard(of: "日本", count: 1000) == 331)
        #expect(ShardSpec.shard(of: "", count: 3) == 1)
    }

    @Test(arguments: [1, 2, 3, 8])
    func shardsPartitionTheSamples(count: Int) throws {
        let parts = try (0..<count).map { try ShardSpec(index: $0, count: count).select(Self.samples, limit: nil).map(\.id) }
        #expect(parts.flatMap { $0 }.sorted() == Self.samples.map(\.id).sorted())
        #expect(Set(parts.flatMap { $0 }).count == Self.samples.count, "no sample in two shards")
        if count > 1 { #expect(parts.allSatisfy { !$0.isEmpty }) }
    }

    @Test func theLimitAppliesBeforeSharding() throws {
        let parts = try (0..<2).map { try ShardSpec(index: $0, count: 2).select(Self.samples, limit: 10).map(\.id) }
        #expect(parts.flatMap { $0 }.sorted() == Self.samples.prefix(10).map(\.id).sorted())
    }

    @Test func parsesAndReadsTheEnvironment() throws {
        #expect(try ShardSpec(parsing: "2/4", environment: [:]) == ShardSpec(index: 2, count: 4))
        #expect(try ShardSpec(parsing: "auto/4", environment: ["SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_MIN": "5"]) == ShardSpec(index: 2, count: 4))
        #expect(try ShardSpec(parsing: "auto/4", environment: ["SLURM_ARRAY_TASK_ID": "3"]) == ShardSpec(index: 3, count: 4))
        #expect(try ShardSpec(parsing: "auto/4", environment: ["JOB_COMPLETION_INDEX": "1"]) == ShardSpec(index: 1, count: 4))
        for (text, environment) in [("4/4", [:]), ("-1/2", [:]), ("1", [:]), ("a/2", [:]), ("0/0", [:]), ("auto/2", [:]),
                                    ("auto/2", ["JOB_COMPLETION_INDEX": "x"]), ("auto/2", ["SLURM_ARRAY_TASK_ID": "9"])] as [(String, [String: String])] {
            #expect(throws: EvaluationError.self, "\(text) \(environment)") { try ShardSpec(parsing: text, environment: environment) }
        }
    }
}
