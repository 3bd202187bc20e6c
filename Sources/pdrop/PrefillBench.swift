import Foundation
import PyramidDrop
import Tensors
import Transformer

/// The prefill half of `pdrop bench`: the full model, PyramidDrop at the quarter points and FastV,
/// each prefilling the same prompt `runs` times into fresh caches, with a round of the GEMM
/// yardsticks after each.
struct PrefillBench {
    let model: LlamaModel
    let prompt: TokenState
    let runs: Int
    /// Timed once more after every variant.
    let yardsticks: GEMMYardsticks

    /// One variant's timings.
    struct Variant: TimedWork {
        let name: String
        let seconds: Statistics
        /// FLOPs of the prefill as run (tokens per layer after dropping).
        let flops: Double
        let fallbacks: Int
    }

    func run() throws -> [Variant] {
        let config = model.config
        let quarters = PyramidDropPolicy.quarterPoints(layerCount: config.layerCount)
        let policies: [(String, any TokenPolicy)] = [
            ("full", KeepAllPolicy()),
            ("pdrop", try PyramidDropPolicy(boundaries: quarters, lambda: 0.5)),
            ("fastv", try FastVPolicy(k: min(2, config.layerCount - 1), dropRatio: 0.5)),
        ]
        return try policies.map { name, policy in
            let wrapper = try PyramidWrapper(model: model, policy: policy)
            let fallbacks = OneDNNMatmul.fallbacks
            var times: [Double] = []
            var tokensPerLayer: [Int] = []
            for _ in 0..<runs {
                var caches = wrapper.makeCaches()
                let start = Date()
                let (_, trace) = try wrapper.prefill(prompt, caches: &caches)
                times.append(Date().timeIntervalSince(start))
                tokensPerLayer = trace.tokensPerLayer
            }
            yardsticks.round()
            let flops = 2 * config.decoderShape.flops.totalFLOPs(tokensPerLayer: tokensPerLayer)   // multiply-adds → FLOPs
            return Variant(name: name, seconds: Statistics(times), flops: flops, fallbacks: OneDNNMatmul.fallbacks - fallbacks)
        }
    }
}
