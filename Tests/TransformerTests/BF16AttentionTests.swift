import Foundation
import PyramidDrop
import Tensors
import TestSupport
import Testing
import Transformer

/// Prefill attention on the bf16 path (heads split over the workers, each head's score and value
/// products through oneDNN on its worker's thread) against a float64 reference of the same
/// roundings: q, k, v rounded to bf16, scores and softmax exact, probabilities rounded to bf16
/// before the value product. 32 query heads over 32 (MHA) or 8 (GQA) key/value heads, 300 new
/// tokens after 20 cached ones (two query blocks, the causal triangle). Tolerance: outputs 2e-3
/// (|values| < 1; a probability on a rounding boundary may round the other way), the last
/// query's mean probabilities 1e-6 (f32 softmax of ~1/300 values). Skipped where the CPU has
/// no native bf16 matmul.
@Suite(.enabled(if: OneDNNMatmul.isNative, "no native bf16 matmul here (\(OneDNNMatmul.implementation))"))
struct BF16AttentionTests {
    static let cached = 20, tokens = 300, heads = 32, headDim = 16

    @Test(arguments: [32, 8])
    func prefillMatchesReferenceOfTheSameRoundings(kvHeads: Int) {
        var generator = SplitMix64(seed: 7)
        func draw(_ rows: Int, _ width: Int, scale: Float) -> Tensor {
            Tensor(shape: [rows, width], values: (0..<(rows * width)).map { _ in scale * (Float(generator.next() >> 40) / Float(1 << 23) - 1) })
        }
        let total = Self.cached + Self.tokens, qWidth = Self.heads * Self.headDim, kvWidth = kvHeads * Self.headDim
        let q = draw(Self.tokens, qWidth, scale: 4), k = draw(total, kvWidth, scale: 1), v = draw(total, kvWidth, scale: 1)
        var store: any KVStore = F32KVStore()
        store.append(keys: k, values: v)
        var mean = [Float](repeating: .nan, count: total)
        let out = mean.withUnsafeMutableBufferPointer {
            Attention.causal(queries: q, store: store, heads: Self.heads, kvHeads: kvHeads, lastRowMean: $0.baseAddress, compute: .bf16)
        }.floats

        func rounded(_ t: Tensor) -> [Double] { t.floats.map { Double(HalfPrecision.floatFromBF16(HalfPrecision.bf16FromFloat($0))) } }
        let (qr, kr, vr) = (rounded(q), rounded(k), rounded(v))
        let scale = 1 / Double(Self.headDim).squareRoot(), groups = Self.heads / kvHeads
        var worst = 0.0, worstMean = 0.0
        var referenceMean = [Double](repeating: 0, count: total)
        for h in 0..<Self.heads {
            let kvh = h / groups
            for i in 0..<Self.tokens {
                let visible = Self.cached + i + 1
                var p = (0..<visible).map { j in
                    (0..<Self.headDim).reduce(0.0) { $0 + qr[i * qWidth + h * Self.headDim + $1] * kr[j * kvWidth + kvh * Self.headDim + $1] } * scale
                }
                let top = p.max()!
                p = p.map { exp($0 - top) }
                let sum = p.reduce(0, +)
                p = p.map { $0 / sum }
                if i == Self.tokens - 1 { for j in 0..<visible { referenceMean[j] += p[j] / Double(Self.heads) } }
                for d in 0..<Self.headDim {
                    let expected = (0..<visible).reduce(0.0) {
                        $0 + Double(HalfPrecision.floatFromBF16(HalfPrecision.bf16FromFloat(Float(p[$1])))) * vr[$1 * kvWidth + kvh * Self.headDim + d]
                    }
                    worst = max(worst, abs(Double(out[i * qWidth + h * Self.headDim + d]) - expected))
                }
            }
        }
        for j in 0..<total { worstMean = max(worstMean, abs(Double(mean[j]) - referenceMean[j])) }
        #expect(worst <= 2e-3, "kv heads \(kvHeads): outputs max |Δ| \(worst)")
        #expect(worstMean <= 1e-6, "kv heads \(kvHeads): last-row mean max |Δ| \(worstMean)")
    }
}
