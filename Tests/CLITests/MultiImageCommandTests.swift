import Foundation
import Imaging
import TestSupport
import Testing
import WeightIO

/// `pdrop run` with several `--image`s on the tiny LLaVA-1.5 checkpoint: one `<image>` slot per
/// image (the template adds them), every image's tokens in the trace and the map, PyramidDrop
/// ranking one pool or each image on its own (`--per-image-budget`).
@Suite struct MultiImageCommandTests {
    static let folder = RunCommandTests.folder

    static func run(_ extra: [String]) throws -> (trace: JSON, map: RGBImage) {
        let scratch = try TemporaryDirectory()
        let out = try CommandRunner.run(["run", "--model", folder + "/tiny-llava-hf", "--image", folder + "/sample.png",
                                         "--image", folder + "/sample.jpg", "--prompt", "Compare the two pictures.",
                                         "--max-new-tokens", "2", "--trace-out", scratch.path("trace.json"),
                                         "--map-out", scratch.path("map.png")] + extra)
        #expect(out.status == 0, "\(out.stderr)")
        return (try JSON.parse(contentsOf: scratch.path("trace.json")), try ImageDecoder().decode(contentsOf: scratch.path("map.png")))
    }

    /// Pooled: 128 image tokens halve at each stage, the kept ones drawn from both images as the
    /// ranking falls; the map stacks both images' crops (two 56-pixel canvases per column).
    @Test func pooledAcrossImages() throws {
        let (trace, map) = try Self.run([])
        #expect(try trace.requireInt("image_tokens") == 128)
        #expect(try trace.requireArray("image_tokens_per_layer").compactMap(\.intValue) == [128, 128, 64, 64, 32, 32, 16, 16])
        #expect(map.height > 2 * 56)
    }

    /// Per image: each image keeps ⌊64·λˢ⌋ of its own 64 tokens at stage s.
    @Test func perImageBudget() throws {
        let (trace, _) = try Self.run(["--per-image-budget"])
        for (s, stage) in try trace.requireArray("stages").enumerated() {
            let kept = try stage.requireArray("kept").compactMap(\.intValue)
            let expected = 64 >> (s + 1)
            #expect(kept.filter { $0 < 64 }.count == expected && kept.filter { $0 >= 64 }.count == expected)
        }
    }

    /// A prompt whose `<image>` slots do not match the images is one line naming both counts.
    @Test func slotMismatch() throws {
        let out = try CommandRunner.run(["run", "--model", Self.folder + "/tiny-llava-hf", "--image", Self.folder + "/sample.png",
                                         "--image", Self.folder + "/sample.jpg", "--prompt", "<image>\nOne slot only."])
        #expect(out.status == 1)
        #expect(out.stderr == "Error: the prompt has 1 <image> slot but 2 images were given\n")
    }
}
