import Foundation
import TestSupport
import Testing
import WeightIO

/// `pdrop run` on llama.cpp GGUF pairs (Tests/Fixtures/gguf): every policy, the folder form, the
/// stats line's note on requantized formats, and the one-line refusals. Numeric parity of the
/// GGUF models is `GGUFPairTests`'.
@Suite struct GGUFRunCommandTests {
    static let llava = Fixtures.path("gguf/llava")

    static func run(_ model: [String], _ extra: [String]) throws -> (CommandRunner.Output, JSON) {
        let scratch = try TemporaryDirectory()
        let trace = scratch.path("trace.json")
        let out = try CommandRunner.run(["run"] + model + ["--image", RunCommandTests.folder + "/sample.png", "--prompt", RunCommandTests.question,
                                         "--trace-out", trace, "--max-new-tokens", "3"] + extra)
        #expect(out.status == 0, "\(out.stderr)")
        return (out, out.status == 0 ? try JSON.parse(contentsOf: trace) : .null)
    }

    /// Each policy runs on the Q4_0 text model with the F16 mmproj; the tokens reaching the
    /// decoder are what the policy asked for.
    @Test(arguments: [("pdrop", [], 64), ("fastv", [], 64), ("none", [], 64), ("random", [], 64),
                      ("fastervlm", ["--budget", "16"], 16), ("visionzip", ["--budget", "16"], 16), ("divprune", ["--budget", "16"], 16),
                      ("dart", ["--budget", "16"], 64)])
    func everyPolicy(policy: String, budget: [String], decoderTokens: Int) throws {
        let (out, trace) = try Self.run(["--model", Self.llava + "/text-q4_0.gguf", "--mmproj", Self.llava + "/mmproj-f16.gguf"],
                                        ["--policy", policy] + budget)
        #expect(try trace.requireArray("image_tokens_per_layer").first?.intValue == decoderTokens)
        #expect(out.stderr.contains("[pdrop] image tokens"))
    }

    /// A folder holding one text model and one mmproj is a model; a legacy-format text model's
    /// requantization is said on the stats line.
    @Test func folderAndRequantizationNote() throws {
        let folder = try TemporaryDirectory()
        for name in ["text-legacy.gguf", "mmproj-f16.gguf"] {
            try FileManager.default.copyItem(atPath: Self.llava + "/" + name, toPath: folder.path(name))
        }
        let (out, _) = try Self.run(["--model", folder.path], [])
        #expect(out.stderr.contains("; Q4_1, Q5_0, Q5_1 → Q8_0 at load ("), "\(out.stderr)")
    }

    @Test(arguments: [
        (["--model", Fixtures.path("gguf/llava") + "/text-q4_0.gguf"],
         "Error: \(Fixtures.path("gguf/llava"))/text-q4_0.gguf is a text-model GGUF: pass its vision tower and projector with --mmproj FILE.gguf"),
        (["--model", Fixtures.path("gguf/llava"), "--mmproj", Fixtures.path("gguf/llava") + "/mmproj-f16.gguf"],
         "Error: --mmproj goes with a text-model .gguf file as --model; \(Fixtures.path("gguf/llava")) is a folder"),
        (["--model", Fixtures.path("gguf/llava") + "/mmproj-f16.gguf", "--mmproj", Fixtures.path("gguf/llava") + "/mmproj-f16.gguf"],
         "Error: \(Fixtures.path("gguf/llava"))/mmproj-f16.gguf: general.architecture 'clip' is not a text model this tool reads (llama)"),
    ])
    func refusals(arguments: [String], message: String) throws {
        let out = try CommandRunner.run(["run"] + arguments + ["--image", RunCommandTests.folder + "/sample.png", "--prompt", "x"])
        #expect(out.status == 1)
        #expect(out.stderr.split(separator: "\n").map(String.init) == [message])
    }
}

/// `pdrop convert --to X.gguf`: the pair it writes runs, and its refusals.
@Suite struct GGUFConvertCommandTests {
    @Test func convertsAndRuns() throws {
        let scratch = try TemporaryDirectory()
        let text = scratch.path("model-q8_0.gguf"), mmproj = scratch.path("mmproj.gguf")
        let out = try CommandRunner.run(["convert", "--from", RunCommandTests.folder + "/tiny-llava-hf", "--to", text, "--mmproj", mmproj,
                                         "--dtype", "q8_0"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("llava-hf → GGUF (q8_0)"))
        let file = try GGUFFile(path: text)
        #expect(file.tensor(named: "blk.0.attn_q.weight")?.type == .q8_0)
        let again = try CommandRunner.run(["convert", "--from", RunCommandTests.folder + "/tiny-llava-hf", "--to", text])
        #expect(again.status == 1 && again.stderr.contains(text))
        _ = try GGUFRunCommandTests.run(["--model", text, "--mmproj", mmproj], [])
    }

    /// A folder holding a Q4_0 pair converts to a llava-hf folder (dequantized to f16 by default),
    /// which `pdrop run` runs with its own tokenizer files.
    @Test func ggufPairToLlavaHFRuns() throws {
        let scratch = try TemporaryDirectory()
        let pair = scratch.path("pair"), folder = scratch.path("hf")
        try FileManager.default.createDirectory(atPath: pair, withIntermediateDirectories: true)
        for name in ["text-q4_0.gguf", "mmproj-f16.gguf"] {
            try FileManager.default.copyItem(atPath: GGUFRunCommandTests.llava + "/" + name, toPath: pair + "/" + name)
        }
        let out = try CommandRunner.run(["convert", "--from", pair, "--to", folder])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("wrote tokenizer.model") && out.stdout.contains("wrote config.json"))
        let weights = try SafeTensorsFile(path: folder + "/model.safetensors")
        #expect(weights.info("language_model.model.layers.0.self_attn.q_proj.weight")?.dtype == .f16)
        _ = try GGUFRunCommandTests.run(["--model", folder], [])
    }

    @Test(arguments: [
        (["--to", "/tmp/x.gguf", "--dtype", "f32"], "Error: --dtype for a .gguf --to must be f16, bf16, q8_0 or q4_0"),
        (["--to", "/tmp/x-folder", "--mmproj", "/tmp/m.gguf"], "Error: --mmproj goes with a .gguf --to"),
    ])
    func usageErrors(arguments: [String], message: String) throws {
        let out = try CommandRunner.run(["convert", "--from", RunCommandTests.folder + "/tiny-llava-hf"] + arguments)
        #expect(out.status == 64)
        #expect(out.stderr.split(separator: "\n").first.map(String.init) == message)
    }
}
