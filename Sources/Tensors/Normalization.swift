import Foundation

/// Row-wise normalisations over the last dimension.
public enum Normalization {
    /// RMSNorm as LLaMA computes it in f32: `y = w · (x · 1/√(mean(x²) + eps))`.
    public static func rmsNorm(_ x: Tensor, weight: Tensor, eps: Float) -> Tensor {
        let d = x.shape.last ?? 0
        precondition(weight.shape == [d], "rmsNorm weight \(weight.shape) does not match input \(x.shape)")
        var out = Tensor(zeros: x.shape)
        x.withFloats { px in
            weight.withFloats { pw in
                out.withMutableFloats { py in
                    Parallel.forEachChunk(of: x.count / max(d, 1), minimumPerWorker: rowsPerWorker(d)) { rows in for r in rows {
                        let row = px.baseAddress! + r * d, dst = py.baseAddress! + r * d
                        var sumSquares: Float = 0
                        for i in 0..<d { sumSquares += row[i] * row[i] }
                        let inv = 1 / (sumSquares / Float(d) + eps).squareRoot()
                        for i in 0..<d { dst[i] = pw[i] * (row[i] * inv) }
                    } }
                }
            }
        }
        return out
    }

    /// LayerNorm with biased variance: `y = (x − mean) / √(var + eps) · w + b`.
    public static func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor, eps: Float) -> Tensor {
        let d = x.shape.last ?? 0
        precondition(weight.shape == [d] && bias.shape == [d],
                     "layerNorm weight \(weight.shape) / bias \(bias.shape) do not match input \(x.shape)")
        var out = Tensor(zeros: x.shape)
        x.withFloats { px in
            weight.withFloats { pw in
                bias.withFloats { pb in
                    out.withMutableFloats { py in
                        Parallel.forEachChunk(of: x.count / max(d, 1), minimumPerWorker: rowsPerWorker(d)) { rows in for r in rows {
                            let row = px.baseAddress! + r * d, dst = py.baseAddress! + r * d
                            var mean: Float = 0
                            for i in 0..<d { mean += row[i] }
                            mean /= Float(d)
                            var variance: Float = 0
                            for i in 0..<d { let c = row[i] - mean; variance += c * c }
                            variance /= Float(d)
                            let inv = 1 / (variance + eps).squareRoot()
                            for i in 0..<d { dst[i] = (row[i] - mean) * inv * pw[i] + pb[i] }
                        } }
                    }
                }
            }
        }
        return out
    }

    /// Rows worth a thread: about 64k elements.
    static func rowsPerWorker(_ width: Int) -> Int { max(1, 65_536 / max(width, 1)) }
}
