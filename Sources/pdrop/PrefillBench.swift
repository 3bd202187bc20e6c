import Foundation
import PyramidDrop
import Tensors
import Transformer

/// The prefill half of `pdrop bench`: the full model, PyramidDrop, FastV and any policies asked
/// for, each prefilling the same prompt `runs` times into fresh caches, with a round of the GEMM
/// yardsticks after each. A pre-decoder policy's own step (scoring, merging, projecting what it
/// keeps, on a synthetic image) is timed with it; the vision tower is counted in no variant.
struct PrefillBench {
    let model: LlamaModel
    /// The prompt's text embeddings around the image block: `before` rows, then the rest.
    let text: Tensor
    let before: Int
    /// The image every variant sees (its features enter the decoder whole unless a pre-decoder
    /// policy selects).
    let image: ImageTokens
    let policies: [(name: String, policy: any TokenPolicy)]
    let runs: Int
    /// Timed once more after every variant.
    let yardsticks: GEMMYardsticks

    /// One variant's timings.
    struct Variant: TimedWork {
        let name: String
        /// The decoder prefill.
        let seconds: Statistics
        /// The pre-decoder policy's step in milliseconds (zero for policies that act only in the decoder).
        let preDecoderMS: Statistics
        /// FLOPs of the prefill as run (tokens per layer after dropping).
        let flops: Double
        let fallbacks: Int
        /// Image tokens that entered the decoder.
        let imageTokens: Int
        /// For a variant whose prompt a pre-decoder policy shortened, the path's GEMM yardstick at
        /// the shapes of that shorter prompt (GEMMs with fewer rows run slower per FLOP).
        let ownRowsGFLOPs: Double?

        /// Median pre-decoder step plus median prefill.
        var totalSeconds: Double { preDecoderMS.median / 1000 + seconds.median }
    }

    /// The prompt state: the text rows around `selection`'s features.
    func prompt(_ selection: ImageSelection) -> TokenState {
        let d = text.shape[1]
        let rows = [text.gatherRows(Array(0..<before)), selection.features, text.gatherRows(Array(before..<text.shape[0]))]
        let origins = (0..<before).map { TokenOrigin(promptIndex: $0, imageIndex: nil) }
            + selection.sources.enumerated().map { i, source in
                source.map { TokenOrigin(promptIndex: before + i, imageIndex: $0) } ?? .mergedImage(promptIndex: before + i)
            }
            + (before..<text.shape[0]).map { TokenOrigin(promptIndex: $0 + selection.sources.count, imageIndex: nil) }
        return TokenState(hidden: Tensor(concatenatingRows: rows, width: d), positions: Array(origins.indices), origins: origins,
                          originalImageCount: selection.originalCount)
    }

    func run() throws -> [Variant] {
        let config = model.config
        return try policies.map { name, policy in
            let wrapper = try PyramidWrapper(model: model, policy: policy)
            let fallbacks = OneDNNMatmul.fallbacks
            var times: [Double] = [], selecting: [Double] = []
            var tokensPerLayer: [Int] = [], entered = 0, rows = 0
            for _ in 0..<runs {
                var caches = wrapper.makeCaches()
                let start = Date()
                let selection = policy.placement.contains(.beforeDecoder) ? try policy.selectImageTokens(image) : ImageSelection.all(image)
                let state = prompt(selection)
                let selected = Date()
                let (_, trace) = try wrapper.prefill(state, caches: &caches)
                times.append(Date().timeIntervalSince(selected))
                selecting.append(policy.placement.contains(.beforeDecoder) ? 1000 * selected.timeIntervalSince(start) : 0)
                tokensPerLayer = trace.tokensPerLayer
                entered = state.imageCount
                rows = state.count
            }
            yardsticks.round()
            var ownRows: Double?
            if rows < text.shape[0] + image.count {
                let yardstick = GEMMYardstick(yardsticks.own.kind, shapes: config.layerGEMMShapes(rows: rows))
                for _ in 0..<3 { yardstick.round() }
                ownRows = yardstick.gflops
            }
            let flops = 2 * config.decoderShape.flops.totalFLOPs(tokensPerLayer: tokensPerLayer)   // multiply-adds → FLOPs
            return Variant(name: name, seconds: Statistics(times), preDecoderMS: Statistics(selecting), flops: flops,
                           fallbacks: OneDNNMatmul.fallbacks - fallbacks, imageTokens: entered,
                           ownRowsGFLOPs: ownRows)
        }
    }
}
