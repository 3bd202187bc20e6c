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
                        let sumSquares = laneSum(row, d) { $0 * $0 }
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
                            let mean = laneSum(row, d) { $0 } / Float(d)
                            let variance = laneSum(row, d) { ($0 - mean) * ($0 - mean) } / Float(d)
                            let inv = 1 / (variance + eps).squareRoot()
                            for i in 0..<d { dst[i] = (row[i] - mean) * inv * pw[i] + pb[i] }
                        } }
                    }
                }
            }
        }
        return out
    }

    /// Σ term(x[i]) over `x[0..<n]`, in 16 lanes (each summing every 16th term in order), the lanes
    /// then added, then the tail past the last multiple of 16; so it vectorises, at a summation
    /// order that differs from a plain loop's only in the last bits.
    @inline(__always)
    static func laneSum(_ x: UnsafePointer<Float>, _ n: Int, _ term: (SIMD16<Float>) -> SIMD16<Float>) -> Float {
        var lanes = SIMD16<Float>()
        var i = 0
        let raw = UnsafeRawPointer(x)
        while i + 16 <= n {
            lanes += term(raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self))
            i += 16
        }
        var total = lanes.sum()
        while i < n {
            total += term(SIMD16(repeating: x[i]))[0]
            i += 1
        }
        return total
    }

    /// Rows worth a thread: about 64k elements.
    static func rowsPerWorker(_ width: Int) -> Int { max(1, 65_536 / max(width, 1)) }
}
