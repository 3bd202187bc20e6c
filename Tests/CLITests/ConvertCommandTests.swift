import Foundation
import TestSupport
import Testing
import WeightIO

/// `pdrop convert` end to end: converted folders give `pdrop run` the logits transformers gave
/// the source; errors are one line (exit 1), usage errors exit 64; nothing is left behind.
@Suite struct ConvertCommandTests {
    static let folder = Fixtures.path("llava")

    static func entries(_ path: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }

    /// `pdrop run --drop none` prefill logits of a model folder.
    static func runLogits(_ model: String, scratch: TemporaryDirectory) throws -> [Float] {
        let logits = scratch.path("logits-\(UUID().uuidString).safetensors")
        let out = try CommandRunner.run(["run", "--model", model, "--image", folder + "/sample.png", "--prompt", "What is shown in this picture?",
                                         "--drop", "none", "--max-new-tokens", "1", "--logits-out", logits])
        #expect(out.status == 0, "\(out.stderr)")
        return try SafeTensorsFile(path: logits).tensor("prefill_logits").floats
    }

    /// original → llava-hf → original with `pdrop convert`; `pdrop run` on each result matches the
    /// reference of its layout (the real 456-token vocabulary after padding). Silent on stderr
    /// when it is not a terminal.
    @Test func convertedFoldersRunLikeTheirReferences() throws {
        let scratch = try TemporaryDirectory()
        let expected = try SafeTensorsFile(path: Self.folder + "/expected.safetensors")
        let hf = scratch.path("hf"), back = scratch.path("back")
        let toHF = try CommandRunner.run(["convert", "--from", Self.folder + "/tiny-llava-original", "--to", hf, "--layout", "llava-hf"])
        #expect(toHF.status == 0 && toHF.stderr.isEmpty, "\(toHF.stderr)")
        #expect(toHF.stdout.contains("original → llava-hf") && toHF.stdout.contains("padded from 456 to 512"))
        let hfLogits = try Self.runLogits(hf, scratch: scratch)
        #expect(maxAbsDiff(Array(hfLogits.prefix(456)), Array(try expected.tensor("logits_last").floats.prefix(456))) <= 1e-4)

        let toOriginal = try CommandRunner.run(["convert", "--from", hf, "--to", back, "--layout", "original", "--dtype", "f32"])
        #expect(toOriginal.status == 0, "\(toOriginal.stderr)")
        #expect(try Self.entries(back).contains("vision_tower"))
        #expect(maxAbsDiff(try Self.runLogits(back, scratch: scratch), try expected.tensor("original_logits_last").floats) <= 1e-4)
    }

    /// `--max-shard-size 50KB` writes several shards and an index `pdrop inspect` reads.
    @Test func shardedOutput() throws {
        let scratch = try TemporaryDirectory()
        let out = scratch.path("sharded")
        let convert = try CommandRunner.run(["convert", "--from", Self.folder + "/tiny-llava-hf", "--to", out, "--max-shard-size", "50KB", "--dtype", "bf16"])
        #expect(convert.status == 0, "\(convert.stderr)")
        let files = try Self.entries(out)
        #expect(files.contains("model.safetensors.index.json") && files.contains("model-00001-of-00007.safetensors"))
        let inspect = try CommandRunner.run(["inspect", out])
        #expect(inspect.status == 0 && inspect.stdout.contains("134 tensors in 7 file(s)"), "\(inspect.stdout)")
        #expect(inspect.stdout.contains("language_model.model.embed_tokens.weight\tBF16\t[512, 32]"))
    }

    @Test func existingDestinationNeedsForce() throws {
        let scratch = try TemporaryDirectory()
        let out = scratch.path("out")
        let arguments = ["convert", "--from", Self.folder + "/tiny-llava-hf", "--to", out, "--layout", "original"]
        #expect(try CommandRunner.run(arguments).status == 0)
        let again = try CommandRunner.run(arguments)
        #expect(again.status == 1 && again.stderr.split(separator: "\n").count == 1 && again.stderr.contains("--force"), "\(again.stderr)")
        let forced = try CommandRunner.run(arguments + ["--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try Self.entries(scratch.path) == ["out"])
    }

    /// A source that is not a LLaVA checkpoint fails with one line and leaves nothing.
    @Test func failuresLeaveNothing() throws {
        let scratch = try TemporaryDirectory()
        let out = scratch.path("out")
        let bad = try CommandRunner.run(["convert", "--from", Self.folder, "--to", out])
        #expect(bad.status == 1 && bad.stderr.split(separator: "\n").count == 1 && bad.stderr.contains(Self.folder), "\(bad.stderr)")
        let missing = try CommandRunner.run(["convert", "--from", "/nonexistent", "--to", out])
        #expect(missing.status == 1 && missing.stderr.contains("/nonexistent"))
        #expect(try Self.entries(scratch.path) == [])
    }

    @Test(arguments: [["--dtype", "f8"], ["--layout", "gguf"], ["--max-shard-size", "12XB"], ["--max-shard-size", "0"]])
    func usageErrors(extra: [String]) throws {
        let scratch = try TemporaryDirectory()
        let out = try CommandRunner.run(["convert", "--from", Self.folder + "/tiny-llava-hf", "--to", scratch.path("out")] + extra)
        #expect(out.status == 64, "\(out.stderr)")
        #expect(try Self.entries(scratch.path) == [])
    }
}
