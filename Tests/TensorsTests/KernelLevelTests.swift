import CKernels
import Foundation
import Tensors
import TestSupport
import Testing

/// The GEMVs and the decode attention on every kernel level this CPU runs, against plain Swift in
/// double precision: shapes whose columns are not a multiple of 32, 16 or 8 and whose row ranges are
/// not a multiple of any row block (1, 2, 4, 8), and 7B-like ones (4096 and 11 008 columns; 32
/// heads of 128, MHA and GQA).
@Suite struct KernelLevelTests {
    /// (rows, cols) of the GEMV cases.
    static let gemvShapes = [(1, 1), (3, 7), (5, 15), (9, 31), (7, 33), (13, 47), (17, 100), (11, 4096), (3, 11_008), (19, 4099)]

    /// Every row of `pd_gemv_16` / `pd_gemv_32` over rows [1, rows - 1) (all rows of one or two)
    /// is within 1e-6 · Σ|w·x| of the double-precision sum, and no row outside the range is
    /// written. Weights and x are multiples of 2⁻⁷ below 1, exact in every format, so products are
    /// multiples of 2⁻¹⁴ and every f32 partial sum below 2¹⁰ in size is exact too: whatever the
    /// summation order the kernels should be within a rounding or two, while an element dropped
    /// or paired with the wrong x moves a sum by about Σ|w·x| / cols ≥ 9e-5 · Σ|w·x|.
    @Test(arguments: [DType.f32, .f16, .bf16], KernelPath.allCases)
    func gemvMatchesDoublePrecision(dtype: DType, path: KernelPath) {
        var generator = SplitMix64(seed: 21)
        for (rows, cols) in Self.gemvShapes {
            let weights = (0..<(rows * cols)).map { _ in exactValue(&generator) }
            let x = (0..<cols).map { _ in exactValue(&generator) }
            let (r0, r1) = rows > 2 ? (1, rows - 1) : (0, rows)
            var y = [Float](repeating: .nan, count: rows)
            path.run {
                switch dtype {
                case .f32:
                    pd_gemv_32(weights, x, &y, cols, r0, r1)
                default:
                    let bits = weights.map { dtype == .bf16 ? HalfPrecision.bf16FromFloat($0) : Float16($0).bitPattern }
                    pd_gemv_16(bits, dtype == .bf16 ? 1 : 0, x, &y, cols, r0, r1)
                }
            }
            for r in 0..<rows {
                guard r >= r0 && r < r1 else {
                    #expect(y[r].isNaN, "\(dtype) \(rows)x\(cols): row \(r) outside [\(r0), \(r1)) was written")
                    continue
                }
                let terms = (0..<cols).map { Double(weights[r * cols + $0]) * Double(x[$0]) }
                let error = abs(Double(y[r]) - terms.reduce(0, +))
                let tolerance = 1e-6 * terms.reduce(0) { $0 + abs($1) }
                #expect(error <= tolerance, "\(dtype) \(rows)x\(cols) row \(r) at \(path): |Δ| \(error) > \(tolerance)")
            }
        }
    }

    /// (heads, kv heads, head_dim, cached tokens) of the attention cases: 7B's 32 heads of 128 (MHA
    /// and 4-way GQA) and head sizes with tails of 8 and 16.
    static let attentionShapes = [(32, 32, 128, 37), (32, 8, 128, 5), (4, 2, 20, 9), (3, 3, 7, 1), (2, 1, 33, 64)]

    /// `pd_attend_span` (f32 rows) and `pd_attend_span_bf16` over the cache cut into spans of 1, 5
    /// (four-row blocks and a tail) or 64 tokens, merged by `pd_attend_merge`: within 1e-5 absolute
    /// of double-precision softmax attention on the same values (outputs are at most 1 in size;
    /// the vector exp is within ~1e-7 relative).
    @Test(arguments: [DType.f32, .bf16], KernelPath.allCases)
    func decodeAttentionMatchesDoublePrecision(dtype: DType, path: KernelPath) {
        var generator = SplitMix64(seed: 5)
        for (heads, kvHeads, headDim, total) in Self.attentionShapes {
            let stride = kvHeads * headDim + 3   // rows padded, as a cache with spare columns
            let q = (0..<(heads * headDim)).map { _ in exactValue(&generator) }
            let k = (0..<(total * stride)).map { _ in exactValue(&generator) }
            let v = (0..<(total * stride)).map { _ in exactValue(&generator) }
            let (kb, vb) = (k.map(HalfPrecision.bf16FromFloat), v.map(HalfPrecision.bf16FromFloat))
            let groups = heads / kvHeads, scale = 1 / Float(headDim).squareRoot()
            for spanTokens in [1, 5, 64] {
                let spans = (total + spanTokens - 1) / spanTokens, perSpan = heads * (headDim + 2)
                var partials = [Float](repeating: .nan, count: spans * perSpan)
                var scores = [Float](repeating: .nan, count: heads * spanTokens)
                var out = [Float](repeating: .nan, count: heads * headDim)
                path.run {
                    partials.withUnsafeMutableBufferPointer { p in
                        for span in 0..<spans {
                            let t0 = span * spanTokens, t1 = min(total, t0 + spanTokens), at = p.baseAddress! + span * perSpan
                            if dtype == .f32 {
                                pd_attend_span(q, k, v, t0, t1, heads, headDim, stride, groups, scale, at, &scores)
                            } else {
                                pd_attend_span_bf16(q, kb, vb, t0, t1, heads, headDim, stride, groups, scale, at, &scores)
                            }
                        }
                    }
                    pd_attend_merge(partials, spans, heads, headDim, &out)
                }
                let worst = worstError(out, q: q, k: k, v: v, heads: heads, groups: groups, headDim: headDim, total: total,
                                       stride: stride, scale: scale)
                #expect(worst <= 1e-5,
                        "\(dtype) \(heads)/\(kvHeads) heads of \(headDim), \(total) tokens in spans of \(spanTokens) at \(path): max |Δ| \(worst)")
            }
        }
    }

    /// Max |out − exact| over every head of double-precision softmax attention.
    private func worstError(_ out: [Float], q: [Float], k: [Float], v: [Float], heads: Int, groups: Int, headDim: Int,
                            total: Int, stride: Int, scale: Float) -> Double {
        var worst = 0.0
        for h in 0..<heads {
            let base = (h / groups) * headDim
            let logits = (0..<total).map { j in
                (0..<headDim).reduce(0.0) { $0 + Double(q[h * headDim + $1]) * Double(k[j * stride + base + $1]) } * Double(scale)
            }
            let top = logits.max()!
            let weights = logits.map { Foundation.exp($0 - top) }, sum = weights.reduce(0, +)
            for d in 0..<headDim {
                let expected = (0..<total).reduce(0.0) { $0 + weights[$1] / sum * Double(v[$1 * stride + base + d]) }
                worst = max(worst, abs(Double(out[h * headDim + d]) - expected))
            }
        }
        return worst
    }
}

/// A value in [-1, 1) with 8 significant bits (exact in f16 and bf16, and so is every product of
/// two in f64).
private func exactValue(_ generator: inout SplitMix64) -> Float {
    Float(Int(generator.next() >> 56) - 128) / 128
}
