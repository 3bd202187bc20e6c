import Evaluation
import Foundation
import Imaging
import TestSupport
import Testing

/// Merging shards: the figures per policy, and a refusal naming the problem for a missing shard,
/// an unfinished one, a result written twice, an id in two shards or shards of different runs.
/// The plot decodes as a PNG of the stated size, and the SVG is an SVG.
@Suite struct ReportTests {
    let folder: TemporaryDirectory
    static let ids = (0..<6).map { "s\($0)" }

    init() throws { folder = try TemporaryDirectory("pdrop-report") }

    func manifest(_ shard: ShardSpec, ids: [String], policies: [String] = ["none", "pdrop"], sha: String = "abc") -> ShardManifest {
        ShardManifest(data: "/data/set.jsonl", dataSHA256: sha, totalSamples: Self.ids.count, shard: shard, ids: ids, policies: policies,
                      model: "/models/m", compute: "f32 (openblas)", maxNewTokens: 8, promptSuffix: nil, version: "test")
    }

    /// none: score 1, prefill 2 s, 100 image tokens, 10 tokens in 1 s; pdrop: score 0.5, prefill 1 s, FLOPs halved.
    static func record(_ id: String, _ policy: String) -> EvalRecord {
        var record = EvalRecord(id: id, policy: policy)
        let pdrop = policy == "pdrop"
        record.answer = pdrop && id == "s0" ? "other" : "cat"
        record.metric = "vqa"
        record.score = pdrop ? 0.5 : 1
        record.agreement = pdrop ? id != "s0" : nil
        record.imageTokens = 100
        record.imageTokensPerLayer = pdrop ? [100, 50] : [100, 100]
        record.flops = .init(paper: pdrop ? 1 : 2, paperVanilla: 2, wholePrompt: pdrop ? 3 : 4, wholePromptVanilla: 4)
        (record.prefillSeconds, record.decodeSeconds, record.completionTokens) = (pdrop ? 1 : 2, 1, 10)
        return record
    }

    /// Writes shards 0 and 1 of 2 (ids split 3/3) with every result unless `skip` says otherwise.
    func writeTwoShards(extra: [EvalRecord] = [], skip: String? = nil) throws {
        for index in 0..<2 {
            let shard = try ShardSpec(index: index, count: 2)
            let ids = Array(Self.ids[(3 * index)..<(3 * index + 3)])
            try manifest(shard, ids: ids).write(to: ShardManifest.path(in: folder.path, shard: shard))
            let log = try ResultLog(path: folder.path(shard.name + ".jsonl"))
            for id in ids { for policy in ["none", "pdrop"] where "\(id)/\(policy)" != skip { try log.append(Self.record(id, policy)) } }
            if index == 0 { for record in extra { try log.append(record) } }
        }
    }

    func failure(_ body: () throws -> Void) -> String {
        do { try body() } catch { return "\(error)" }
        return "no error"
    }

    @Test func summarisesEveryPolicy() throws {
        try writeTwoShards()
        let report = try EvalReport(folder: folder.path)
        #expect(report.summaries.map(\.policy) == ["none", "pdrop"])
        let (none, pdrop) = (report.summaries[0], report.summaries[1])
        #expect(none.answered == 6 && none.score == 1 && none.agreement == nil && none.meanImageTokens == 100)
        #expect(pdrop.score == 0.5 && pdrop.agreement == 5.0 / 6 && pdrop.meanImageTokens == 75)
        #expect(pdrop.flopsRatioPaper == 2 && pdrop.flopsRatioWholePrompt == 4.0 / 3 && pdrop.prefillSpeedup == 2 && pdrop.tokensPerSecond == 10)
        #expect(report.markdown.contains("| pdrop | 6 | 0 | 50.0 % (vqa) | 83.3 % | 75.0 | 2.00× / 1.33× | 1.000 s | 2.00× | 10.0 |"), "\(report.markdown)")

        let png = folder.path("report.png"), svg = folder.path("report.svg")
        try ReportPlot(report).write(png: png, svg: svg)
        let image = try ImageDecoder().decode(contentsOf: png)
        #expect(image.width == 880 && image.height == 600)
        #expect(Set(image.pixels).count > 2, "something is drawn")
        #expect(try String(contentsOfFile: svg, encoding: .utf8).contains("<svg"))
    }

    @Test func refusesWhatWouldMakeTheFiguresWrong() throws {
        #expect(failure { _ = try EvalReport(folder: folder.path) }.contains("no shard manifests"))

        let shard0 = try ShardSpec(index: 0, count: 2)
        try manifest(shard0, ids: Array(Self.ids.prefix(3))).write(to: ShardManifest.path(in: folder.path, shard: shard0))
        #expect(failure { _ = try EvalReport(folder: folder.path) }.contains("shard 1 of 2 has not started"))

        try writeTwoShards(skip: "s4/pdrop")
        #expect(failure { _ = try EvalReport(folder: folder.path) }.contains("shard 1/2: 1 of 6 results missing (s4 under pdrop); rerun that shard"))
    }

    @Test func refusesDuplicatesAndMixedRuns() throws {
        try writeTwoShards(extra: [Self.record("s1", "pdrop")])
        #expect(failure { _ = try EvalReport(folder: folder.path) }.contains("id \"s1\" under pdrop appears twice"))

        let shard1 = try ShardSpec(index: 1, count: 2)
        try manifest(shard1, ids: ["s0", "s4", "s5"]).write(to: ShardManifest.path(in: folder.path, shard: shard1))
        #expect(failure { _ = try EvalReport(folder: folder.path) }.contains("id \"s0\" is in shard 0/2 and shard 1/2"))

        try manifest(shard1, ids: ["s3", "s4", "s5"], sha: "other").write(to: ShardManifest.path(in: folder.path, shard: shard1))
        #expect(failure { _ = try EvalReport(folder: folder.path) }.contains("differs in the data file's contents"))
    }
}
