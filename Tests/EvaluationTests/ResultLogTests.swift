import Evaluation
import Foundation
import TestSupport
import Testing

/// The results file survives a kill: records are read back as written, a torn last line is cut
/// off (and reported) so the sample is redone, and a damaged complete line names its line.
@Suite struct ResultLogTests {
    static func record(_ id: String, _ policy: String) -> EvalRecord {
        var record = EvalRecord(id: id, policy: policy)
        record.answer = "a \"quoted\" answer\nwith a newline"
        record.score = 0.6
        record.agreement = policy == "none" ? nil : true
        record.imageTokens = 576
        record.imageTokensPerLayer = [576, 288, 144]
        record.flops = .init(paper: 1.5e12, paperVanilla: 3e12, wholePrompt: 2e12, wholePromptVanilla: 4e12)
        (record.visionSeconds, record.prefillSeconds, record.decodeSeconds) = (0.25, 1.5, 0.125)
        record.completionTokens = 3
        return record
    }

    @Test func recordsRoundTrip() throws {
        let folder = try TemporaryDirectory("pdrop-eval")
        let path = folder.path("shard.jsonl")
        let written = [Self.record("q1", "none"), Self.record("q1", "pdrop"), EvalRecord(id: "q2", policy: "none", error: "empty question")]
        do {
            let log = try ResultLog(path: path)
            for record in written { try log.append(record) }
        }
        let reopened = try ResultLog(path: path)
        #expect(reopened.records == written)
        #expect(!reopened.repairedTornLine)
    }

    @Test func aTornLastLineIsCutOffAndRedone() throws {
        let folder = try TemporaryDirectory("pdrop-eval")
        let path = folder.path("shard.jsonl")
        do {
            let log = try ResultLog(path: path)
            try log.append(Self.record("q1", "none"))
            try log.append(Self.record("q1", "pdrop"))
        }
        // A kill in the middle of the third write.
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        let third = Array((Self.record("q2", "none").json.serialized() + "\n").utf8)
        try (whole + Data(third.prefix(third.count / 2))).write(to: URL(fileURLWithPath: path))
        #expect(try ResultLog.read(path).tornLastLine)
        let log = try ResultLog(path: path)
        #expect(log.repairedTornLine)
        #expect(log.records.map(\.id) == ["q1", "q1"])
        try log.append(Self.record("q2", "none"))
        let again = try ResultLog(path: path)
        #expect(again.records.map { $0.id + "/" + $0.policy } == ["q1/none", "q1/pdrop", "q2/none"])
        #expect(!again.repairedTornLine)
    }

    @Test func aDamagedLineNamesItsNumber() throws {
        let folder = try TemporaryDirectory("pdrop-eval")
        let good = Self.record("q1", "none").json.serialized()
        let path = try folder.write(Array("\(good)\n{\"id\": 3}\n\(good)\n".utf8), to: "shard.jsonl")
        let message = "\(#expect(throws: EvaluationError.self) { try ResultLog(path: path) }.map(String.init(describing:)) ?? "")"
        #expect(message.hasPrefix("\(path):2: not a result record"), "\(message)")
    }
}
