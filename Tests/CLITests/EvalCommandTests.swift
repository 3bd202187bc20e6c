import Foundation
import Imaging
import TestSupport
import Testing
import WeightIO

/// `pdrop eval` on the tiny LLaVA-1.5 checkpoint over the fixture images, in two shards: every
/// sample under every policy, bad samples recorded with their error (the run goes on), a rerun
/// that skips what is done, a killed shard resumed without duplicates or losses, and the report
/// (table, report.json, a PNG that decodes).
@Suite(.serialized) struct EvalCommandTests {
    static let data = Fixtures.path("eval/tiny.jsonl")
    static let policies = "none,pdrop,visionzip:16"

    static func run(shard: String, out: String) throws -> CommandRunner.Output {
        try CommandRunner.run(["eval", "--model", RunCommandTests.folder + "/tiny-llava-hf", "--data", data, "--policies", policies,
                               "--out", out, "--shard", shard, "--max-new-tokens", "4"])
    }

    static func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test func twoShardsResumeAndReport() throws {
        let folder = try TemporaryDirectory("pdrop-eval")
        for shard in ["0/2", "1/2"] {
            let out = try Self.run(shard: shard, out: folder.path)
            #expect(out.status == 0, "\(out.stderr)")
        }
        // Ids by their SHA-256 shard: vqa-1, mc-1, missing-image, empty-question, unreadable-image in 0; short-1, text-only in 1.
        let shard0 = folder.path("shard-0-of-2.jsonl"), shard1 = folder.path("shard-1-of-2.jsonl")
        #expect(try Self.lines(shard0).count == 5 * 3)
        #expect(try Self.lines(shard1).count == 2 * 3)
        let records = try Self.lines(shard0).map { try JSON.parse($0, source: "record") }
        let missing = try #require(records.first { $0["id"]?.stringValue == "missing-image" })
        #expect(missing["error"]?.stringValue?.contains("no-such-file.png") == true, "\(missing)")
        let empty = try #require(records.first { $0["id"]?.stringValue == "empty-question" })
        #expect(empty["error"]?.stringValue == "empty question")
        let vqa = try #require(records.first { $0["id"]?.stringValue == "vqa-1" && $0["policy"]?.stringValue == "pdrop" })
        #expect(vqa["metric"]?.stringValue == "vqa" && vqa["agreement"]?.boolValue != nil && vqa["image_tokens"]?.intValue == 64)
        let mc = try #require(records.first { $0["id"]?.stringValue == "mc-1" && $0["policy"]?.stringValue == "visionzip:16" })
        #expect(mc["metric"]?.stringValue == "option")
        #expect(mc["image_tokens_per_layer"]?.arrayValue?.first?.intValue == 16)

        // A rerun of a finished shard adds nothing; a torn last line (a kill mid-write) is redone once.
        #expect(try Self.run(shard: "1/2", out: folder.path).status == 0)
        #expect(try Self.lines(shard1).count == 6)
        func answers() throws -> [String] {
            try Self.lines(shard1).map { line in
                let record = try JSON.parse(line, source: "record")
                return "\(record["id"]?.stringValue ?? "")/\(record["policy"]?.stringValue ?? "")=\(record["answer"]?.stringValue ?? "-")"
            }
        }
        let before = try answers()
        let text = try String(contentsOfFile: shard1, encoding: .utf8)
        let lastLine = text.dropLast().lastIndex(of: "\n").map { text.index(after: $0) } ?? text.startIndex
        let torn = String(text[..<text.index(lastLine, offsetBy: 20)])
        try torn.write(toFile: shard1, atomically: false, encoding: .utf8)
        let resumed = try Self.run(shard: "1/2", out: folder.path)
        #expect(resumed.status == 0 && resumed.stderr.contains("torn last line"), "\(resumed.stderr)")
        #expect(try answers() == before, "the torn line redone, nothing duplicated or lost")

        let report = try CommandRunner.run(["eval", "report", folder.path])
        #expect(report.status == 0, "\(report.stderr)")
        for policy in ["none", "pdrop", "visionzip:16"] { #expect(report.stdout.contains("| \(policy) | 4 | 3 |"), "\(report.stdout)") }
        let json = try JSON.parse(contentsOf: folder.path("report.json"))
        #expect(try json.requireInt("samples") == 7)
        #expect(try json.requireArray("policies").count == 3)
        let png = try ImageDecoder().decode(contentsOf: folder.path("report.png"))
        #expect(png.width == 880 && png.height == 600)
    }

    @Test func aRerunWithOtherSettingsIsRefused() throws {
        let folder = try TemporaryDirectory("pdrop-eval")
        #expect(try Self.run(shard: "0/2", out: folder.path).status == 0)
        let other = try CommandRunner.run(["eval", "--model", RunCommandTests.folder + "/tiny-llava-hf", "--data", Self.data, "--policies", "none,fastv",
                                           "--out", folder.path, "--shard", "0/2", "--max-new-tokens", "4"])
        #expect(other.status == 1)
        #expect(other.stderr.contains("belongs to another run") && other.stderr.contains("--policies"), "\(other.stderr)")
        let unfinished = try CommandRunner.run(["eval", "report", folder.path])
        #expect(unfinished.status == 1 && unfinished.stderr.contains("shard 1 of 2 has not started"), "\(unfinished.stderr)")
    }
}
