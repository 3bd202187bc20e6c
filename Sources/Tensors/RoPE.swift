import Foundation

/// Rotary position embedding in the "rotate half" layout used by Hugging Face LLaMA checkpoints:
/// for each head, element `i < d/2` pairs with `i + d/2`.
public struct RoPE: Sendable {
    /// Dimension of one head (even).
    public let headDim: Int
    /// Base θ of the frequencies (10 000 for LLaMA, 1 000 000 for Mistral-7B v0.2).
    public let theta: Float
    /// `invFreq[i] = 1 / θ^(2i/d)`, computed in f32 as PyTorch does.
    public let inverseFrequencies: [Float]

    public init(headDim: Int, theta: Float) {
        precondition(headDim % 2 == 0, "RoPE needs an even head dimension, got \(headDim)")
        self.headDim = headDim
        self.theta = theta
        inverseFrequencies = (0..<headDim / 2).map { 1 / pow(theta, Float(2 * $0) / Float(headDim)) }
    }

    /// Rotates every head of every row of `x` (`[tokens, heads · headDim]`) in place; row `r` is at
    /// position `positions[r]`.
    public func apply(_ x: inout Tensor, positions: [Int]) {
        let width = x.shape.last ?? 0
        precondition(width % headDim == 0, "RoPE: row width \(width) is not a multiple of head dim \(headDim)")
        precondition(x.count / max(width, 1) == positions.count, "RoPE: \(positions.count) positions for \(x.shape)")
        let half = headDim / 2
        x.withMutableFloats { p in
            Parallel.forEachChunk(of: positions.count, minimumPerWorker: max(1, 16_384 / max(width, 1))) { rows in
                var cosines = [Float](repeating: 0, count: half), sines = cosines
                for r in rows {
                    for i in 0..<half {
                        let angle = Float(positions[r]) * inverseFrequencies[i]
                        cosines[i] = cos(angle)
                        sines[i] = sin(angle)
                    }
                    var head = p.baseAddress! + r * width
                    for _ in 0..<(width / headDim) {
                        for i in 0..<half {
                            let a = head[i], b = head[i + half]
                            head[i] = a * cosines[i] - b * sines[i]
                            head[i + half] = b * cosines[i] + a * sines[i]
                        }
                        head += headDim
                    }
                }
            }
        }
    }
}
