import Foundation
import TestSupport
import Testing
import WeightIO

/// `pdrop run --policy NAME --budget N` on the tiny LLaVA-1.5 checkpoint against the PyTorch ports
/// of the official code (Tests/Fixtures/policies), the trace's report of what reached the decoder,
/// and the one-line refusals.
@Suite struct PolicyCommandTests {
    static let expected = Result { try Fixtures.tensors("policies/expected.safetensors") }

    @Test(arguments: [("visionzip", 16), ("fastervlm", 40), ("divprune", 16), ("dart", 40)])
    func runMatchesThePort(policy: String, budget: Int) throws {
        let (_, logits, trace) = try RunCommandTests.run(["--policy", policy, "--budget", "\(budget)", "--max-new-tokens", "8"])
        let expected = try Self.expected.get()
        let name = "llava_\(policy)_\(budget)"
        #expect(maxAbsDiff(try logits.tensor("prefill_logits").floats, try tensor(expected, "\(name)_logits").floats) <= 1e-4)
        #expect(try logits.tensor("generated_ids").integers == RunCommandTests.untilEOS(try tensor(expected, "\(name)_greedy").integers))
        let stages = try trace.requireArray("stages")
        let sources = try tensor(expected, "\(name)_sources").integers
        #expect(try stages.first?.requireInt("image_tokens") == sources.count)
        #expect(try stages.first?.requireArray("kept").compactMap(\.intValue) == sources.filter { $0 >= 0 })
        #expect(try stages.first?.requireInt("layer") == (policy == "dart" ? 2 : 0))
        #expect(try trace.requireObject("policy")["name"] == .string(policy))
    }

    /// VisionZip composed with PyramidDrop: 24 tokens enter the decoder, PyramidDrop halves those
    /// at its quarter points; the merged patches are reported; `--map-out` writes the PNG.
    @Test func compositionAndMap() throws {
        let scratch = try TemporaryDirectory()
        let (_, _, trace) = try RunCommandTests.run(["--policy", "visionzip+pdrop", "--budget", "24", "--max-new-tokens", "2",
                                                     "--map-out", scratch.path("map.png")])
        #expect(try trace.requireArray("image_tokens_per_layer").compactMap(\.intValue) == [24, 24, 12, 12, 6, 6, 3, 3])
        let first = try #require(try trace.requireArray("stages").first)
        #expect(try first.requireArray("merged").count == 64 - 19)
        #expect(FileManager.default.fileExists(atPath: scratch.path("map.png")))
    }

    /// Settings that need no model are usage errors (status 64, the first line says why); those
    /// that need the image are one-line errors (status 1).
    @Test(arguments: [
        (["--policy", "pdrop", "--budget", "8"], 64, "Error: --policy: pdrop: takes no budget (its budget is --layers and --ratio)"),
        (["--policy", "fastervlm+visionzip"], 1, "Error: fastervlm+visionzip: compose one policy that acts before the decoder (fastervlm, visionzip, divprune) with one that acts inside it (pdrop, fastv, dart, random)"),
        (["--policy", "magic"], 64, "Error: --policy: magic: unknown policy 'magic' (choose from pdrop, fastv, none, random, fastervlm, visionzip, divprune, dart)"),
        (["--policy", "divprune", "--budget", "100"], 1, "Error: divprune: budget 100 is more than the 64 tokens of the image"),
        (["--policy", "fastervlm", "--budget", "65"], 1, "Error: fastervlm: budget 65 is more than the 64 patches of a crop"),
        (["--policy", "dart", "--budget", "0"], 1, "Error: dart: budget 0 must be at least 1 token"),
    ])
    func refusals(arguments: [String], status: Int32, message: String) throws {
        let out = try CommandRunner.run(["run", "--model", RunCommandTests.folder + "/tiny-llava-hf", "--image", RunCommandTests.folder + "/sample.png",
                                         "--prompt", "x"] + arguments)
        #expect(out.status == status)
        let lines = out.stderr.split(separator: "\n")
        #expect(lines.first.map(String.init) == message)
        if status == 1 { #expect(lines.count == 1) }
    }
}
