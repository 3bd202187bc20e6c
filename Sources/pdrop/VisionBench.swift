import Foundation
import Tensors
import Transformer

/// `pdrop bench --vision`: the vision tower (CLIP or SigLIP) alone on one synthetic image, timed
/// `runs` times, next to the GEMM yardstick of its compute path at the tower's own shapes,
/// measured in the same run (a round after every timed pass).
struct VisionBench {
    let config: any BenchVisionConfig
    /// Encoder layers that run.
    let layers: Int
    /// How the matrices are stored.
    let stored: DType
    let compute: ComputePath
    let runs: Int

    struct Result: TimedWork {
        let seconds: Statistics
        /// FLOPs of one image (`BenchVisionConfig.flops(layers:)`).
        let flops: Double
        let yardsticks: GEMMYardsticks
        let fallbacks: Int

        /// The median time over the time the FLOPs take at the yardstick's rate.
        var boundRatio: Double { seconds.median / (flops / yardsticks.gflops / 1e9) }
    }

    func run() -> Result {
        let tower = SyntheticVisionTower.make(config: config, layers: layers, dtype: stored, compute: compute)
        let pixels = SyntheticVisionTower.pixels(config: config)
        let yardsticks = GEMMYardsticks(config.gemmShapes(layers: layers), path: compute)
        let fallbacks = OneDNNMatmul.fallbacks
        var times: [Double] = []
        for _ in 0..<runs {
            let start = Date()
            _ = tower(pixels)
            times.append(Date().timeIntervalSince(start))
            yardsticks.round()
        }
        return Result(seconds: Statistics(times), flops: config.flops(layers: layers), yardsticks: yardsticks,
                      fallbacks: OneDNNMatmul.fallbacks - fallbacks)
    }
}
