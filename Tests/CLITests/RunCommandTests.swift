import Foundation
import TestSupport
import Testing
import WeightIO

/// `pdrop run` on the tiny LLaVA-1.5 checkpoint against transformers' outputs for the same image
/// and prompt (Tests/Fixtures/llava/make_llava_fixtures.py).
@Suite struct RunCommandTests {
    static let folder = Fixtures.path("llava")
    static let question = "What is shown in this picture?"

    static func run(_ extra: [String], model: String = "tiny-llava-hf") throws -> (CommandRunner.Output, SafeTensorsFile, JSON) {
        let scratch = try TemporaryDirectory()
        let logits = scratch.path("logits.safetensors"), trace = scratch.path("trace.json")
        let out = try CommandRunner.run(["run", "--model", folder + "/" + model, "--image", folder + "/sample.png",
                                         "--prompt", question, "--logits-out", logits, "--trace-out", trace] + extra)
        #expect(out.status == 0, "\(out.stderr)")
        return (out, try SafeTensorsFile(path: logits), try JSON.parse(contentsOf: trace))
    }

    /// Expected greedy ids up to and including the first EOS (2), where `pdrop run` stops.
    static func untilEOS(_ ids: [Int]) -> [Int] {
        ids.firstIndex(of: 2).map { Array(ids[...$0]) } ?? ids
    }

    @Test func noDropMatchesTransformers() throws {
        let expected = try SafeTensorsFile(path: Self.folder + "/expected.safetensors")
        let (_, logits, trace) = try Self.run(["--drop", "none", "--max-new-tokens", "16"])
        #expect(maxAbsDiff(try logits.tensor("prefill_logits").floats, try expected.tensor("logits_last").floats) <= 1e-4)
        #expect(try logits.tensor("generated_ids").dtype == .i64)
        #expect(try logits.tensor("generated_ids").integers == Self.untilEOS(try expected.tensor("greedy_ids").integers))
        #expect(try trace.requireInt("image_tokens") == 64)
        #expect(try trace.requireArray("stages").isEmpty)
    }

    /// `--kv-cache bf16` keeps the same tokens per layer and drifts from the f32 cache by
    /// bf16 rounding only (prefill logits within 5e-2 of transformers'); an unknown format is a
    /// usage error.
    @Test func bf16KVCache() throws {
        let expected = try SafeTensorsFile(path: Self.folder + "/expected.safetensors")
        let (_, logits, trace) = try Self.run(["--kv-cache", "bf16", "--max-new-tokens", "4"])
        #expect(maxAbsDiff(try logits.tensor("prefill_logits").floats, try expected.tensor("pdrop_logits").floats) <= 5e-2)
        #expect(try trace.requireArray("image_tokens_per_layer").compactMap(\.intValue) == [64, 64, 32, 32, 16, 16, 8, 8])
        let bad = try CommandRunner.run(["run", "--model", Self.folder + "/tiny-llava-hf", "--image", Self.folder + "/sample.png",
                                         "--prompt", "x", "--kv-cache", "f8"])
        #expect(bad.status == 64)
    }

    /// Without `--image` the prompt is text only: no image tokens, the template adds no slot;
    /// `--map-out` then is a usage error.
    @Test func textOnlyPrompt() throws {
        let out = try CommandRunner.run(["run", "--model", Self.folder + "/tiny-llava-hf", "--prompt", "Hello", "--max-new-tokens", "3",
                                         "--json"])
        #expect(out.status == 0, "\(out.stderr)")
        let json = try JSON.parse(out.stdout, source: "stdout")
        #expect(try json.requireObject("trace")["image_tokens"]?.intValue == 0)
        #expect(try json.requireArray("generated_ids").count == 3)
        let map = try CommandRunner.run(["run", "--model", Self.folder + "/tiny-llava-hf", "--prompt", "Hello", "--map-out", "/tmp/x.png"])
        #expect(map.status == 64)
    }

    /// Default PyramidDrop on an 8-layer model: boundaries at the quarter points [2, 4, 6], λ 0.5.
    @Test func pyramidDropMatchesTheReference() throws {
        let expected = try SafeTensorsFile(path: Self.folder + "/expected.safetensors")
        let (_, logits, trace) = try Self.run(["--max-new-tokens", "8"])
        let stages = try trace.requireArray("stages")
        #expect(stages.count == 3)
        for (s, stage) in stages.enumerated() {
            #expect(try stage.requireInt("layer") == [2, 4, 6][s])
            #expect(try stage.requireArray("kept").compactMap(\.intValue) == (try expected.tensor("pdrop_kept_\(s)").integers))
        }
        #expect(maxAbsDiff(try logits.tensor("prefill_logits").floats, try expected.tensor("pdrop_logits").floats) <= 1e-4)
        #expect(try logits.tensor("generated_ids").integers == Self.untilEOS(try expected.tensor("pdrop_greedy").integers))
        #expect(try trace.requireArray("image_tokens_per_layer").compactMap(\.intValue) == [64, 64, 32, 32, 16, 16, 8, 8])
        let flops = try trace.requireObject("flops")
        #expect(flops["paper"]!.doubleValue! < flops["paper_vanilla"]!.doubleValue!)
    }

    @Test func fastVMatchesTheReference() throws {
        let expected = try SafeTensorsFile(path: Self.folder + "/expected.safetensors")
        let (_, logits, trace) = try Self.run(["--drop", "fastv", "--max-new-tokens", "8"])
        #expect(try trace.requireArray("stages")[0].requireArray("kept").compactMap(\.intValue) == (try expected.tensor("fastv_kept_0").integers))
        #expect(maxAbsDiff(try logits.tensor("prefill_logits").floats, try expected.tensor("fastv_logits").floats) <= 1e-4)
    }

    @Test func jsonOutput() throws {
        let (out, _, _) = try Self.run(["--json", "--max-new-tokens", "4"])
        let json = try JSON.parse(out.stdout, source: "stdout")
        #expect(try json.requireInt("prompt_tokens") > 0)
        #expect(try json.string("text") != nil)
    }

    @Test func errorsAreOneLine() throws {
        let model = Self.folder + "/tiny-llava-hf"
        let badImage = try CommandRunner.run(["run", "--model", model, "--image", Self.folder + "/expected.safetensors", "--prompt", "x"])
        #expect(badImage.status == 1 && badImage.stderr.split(separator: "\n").count == 1 && badImage.stderr.contains("expected.safetensors"))
        let badLayers = try CommandRunner.run(["run", "--model", model, "--image", Self.folder + "/sample.png", "--prompt", "x", "--layers", "8,16,24"])
        #expect(badLayers.status == 1 && badLayers.stderr.contains("outside 1..<8"))
        let usage = try CommandRunner.run(["run", "--model", model, "--image", Self.folder + "/sample.png", "--prompt", "x", "--drop", "magic"])
        #expect(usage.status == 64)
        let noModel = try CommandRunner.run(["run", "--model", "/nonexistent", "--image", Self.folder + "/sample.png", "--prompt", "x"])
        #expect(noModel.status == 1 && noModel.stderr.contains("/nonexistent"))
        let noSlot = try CommandRunner.run(["run", "--model", model, "--image", Self.folder + "/sample.png", "--prompt", "no image here",
                                            "--template", "raw"])
        #expect(noSlot.status == 1 && noSlot.stderr.contains("<image>") && noSlot.stderr.split(separator: "\n").count == 1)
    }

    /// A checkpoint missing one tensor names it.
    @Test func missingTensorIsNamed() throws {
        let scratch = try TemporaryDirectory()
        let source = try WeightStore(path: Self.folder + "/tiny-llava-hf")
        let dropped = "language_model.model.layers.3.mlp.up_proj.weight"
        try SafeTensorsWriter.write(try source.names.filter { $0 != dropped }.map { ($0, try source.tensor($0)) },
                                    to: scratch.path("model.safetensors"))
        for file in ["config.json", "tokenizer.json", "tokenizer_config.json", "preprocessor_config.json"] {
            try FileManager.default.copyItem(atPath: Self.folder + "/tiny-llava-hf/" + file, toPath: scratch.path(file))
        }
        let out = try CommandRunner.run(["run", "--model", scratch.path, "--image", Self.folder + "/sample.png", "--prompt", "x"])
        #expect(out.status == 1 && out.stderr.contains(dropped) && out.stderr.split(separator: "\n").count == 1)
    }
}
