import Imaging
import LLaVA
import LLaVANeXT
import TestSupport
import Testing
import Tokenizer
import WeightIO

/// `pdrop run --map-out`: the PNG decodes to one column per stage (plus the all-tokens column),
/// and in each column exactly the kept tokens' patches are shown undimmed.
@Suite struct KeptTokenMapTests {
    @Test(arguments: [("llava/tiny-llava-hf", "llava/sample.png", false), ("llava-next/tiny-next-vicuna", "llava-next/wide.png", true),
                      ("llava-next/tiny-next-mistral", "llava-next/tall.png", true)])
    func brightPatchesMatchTheTrace(model: String, image: String, anyres: Bool) throws {
        let scratch = try TemporaryDirectory()
        let out = try CommandRunner.run(["run", "--model", Fixtures.path(model), "--image", Fixtures.path(image), "--prompt", "Describe.",
                                         "--max-new-tokens", "1", "--map-out", scratch.path("map.png"), "--trace-out", scratch.path("trace.json")])
        #expect(out.status == 0, "\(out.stderr)")
        let trace = try JSON.parse(contentsOf: scratch.path("trace.json"))
        let stages = try trace.requireArray("stages").map { try $0.requireArray("kept").compactMap(\.intValue) }

        let llava = try LLaVAModel(folder: Fixtures.path(model))
        let encoder: any ImageEncoder = anyres ? try AnyResEncoder(model: llava) : try SingleCropEncoder(model: llava)
        let picture = try ImageDecoder(alpha: .compositeOnWhite).decode(contentsOf: Fixtures.path(image))
        let geometry = encoder.geometry(for: picture)
        #expect(geometry.regions.count == (try trace.requireInt("image_tokens")))

        let map = try ImageDecoder().decode(contentsOf: scratch.path("map.png"))
        let columnWidth = geometry.canvases.map(\.width).max()!
        #expect(map.width == (stages.count + 1) * columnWidth + stages.count * KeptTokenMap.gap)
        #expect(map.height == geometry.canvases.map(\.height).reduce(0, +) + KeptTokenMap.gap * (geometry.canvases.count - 1))
        let tops = geometry.canvases.indices.map { k in geometry.canvases[..<k].reduce(0) { $0 + $1.height + KeptTokenMap.gap } }
        for (c, kept) in ([Array(geometry.regions.indices)] + stages).enumerated() {
            // A patch is bright when every pixel equals the canvas the tower saw.
            let bright = geometry.regions.indices.filter { token in
                guard let region = geometry.regions[token] else { return false }
                let canvas = geometry.canvases[region.canvas]
                return (region.y..<(region.y + region.height)).allSatisfy { y in
                    (region.x..<(region.x + region.width)).allSatisfy { x in
                        map[x: c * (columnWidth + KeptTokenMap.gap) + x, y: tops[region.canvas] + y] == canvas[x: x, y: y]
                    }
                }
            }
            #expect(bright == kept.filter { geometry.regions[$0] != nil }, "column \(c)")
        }
    }
}
