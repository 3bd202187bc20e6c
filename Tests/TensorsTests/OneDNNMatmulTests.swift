import Foundation
import Tensors
import TestSupport
import Testing

/// oneDNN's bf16 matmul against the exact product of the same bf16 operands, summed in double.
/// Tolerance: 1e-5 relative to the sum of |terms| (f32 accumulation of ≤ 4096 products; oneDNN
/// blocks the sum differently from a serial loop). Skipped where the CPU has no native bf16
/// matmul (or `PDROP_FORCE_F32` is set), with the reason.
@Suite(.enabled(if: OneDNNMatmul.isNative, "no native bf16 matmul here (\(OneDNNMatmul.implementation))"))
struct OneDNNMatmulTests {
    /// Random bf16 bits of values in [-1, 1).
    static func operand(_ count: Int, seed: UInt64) -> [UInt16] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in HalfPrecision.bf16FromFloat(Float(generator.next() >> 40) / Float(1 << 23) - 1) }
    }

    /// `C = alpha · A · op(B) (+ bias)` computed by oneDNN and in double; fails with the worst
    /// element. Returns `C`.
    @discardableResult
    static func check(m: Int, n: Int, k: Int, lda: Int, ldb: Int, ldc: Int, transB: Bool, alpha: Float,
                      bias: [Float]? = nil, spread: Bool = true) -> [Float] {
        let a = operand(m * lda, seed: 1), b = operand((transB ? n : k) * ldb, seed: 2)
        var c = [Float](repeating: .nan, count: m * ldc)
        OneDNNMatmul.multiply(m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, transB: transB, c: &c, ldc: ldc,
                              bias: bias, spread: spread)
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var sum = Double(bias?[j] ?? 0) / Double(alpha), magnitude = abs(sum)
                for p in 0..<k {
                    let term = Double(HalfPrecision.floatFromBF16(a[i * lda + p]))
                        * Double(HalfPrecision.floatFromBF16(transB ? b[j * ldb + p] : b[p * ldb + j]))
                    sum += term
                    magnitude += abs(term)
                }
                let error = abs(Double(c[i * ldc + j]) - Double(alpha) * sum) / max(abs(Double(alpha)) * magnitude, 1e-30)
                worst = max(worst, error.isNaN ? .infinity : error)
            }
        }
        #expect(worst <= 1e-5, "m \(m) n \(n) k \(k) transB \(transB): worst relative error \(worst)")
        return c
    }

    @Test func implementationIsNative() {
        #expect(OneDNNMatmul.implementation.contains("avx512_core_bf16") || OneDNNMatmul.implementation.contains("amx"))
    }

    /// A weight-shaped product (`[out, in]` transposed, as `GEMM.linear` calls it), odd sizes.
    @Test(arguments: [(1, 1, 1), (3, 5, 7), (37, 53, 67), (160, 96, 300)])
    func weightLayout(shape: (m: Int, n: Int, k: Int)) {
        Self.check(m: shape.m, n: shape.n, k: shape.k, lda: shape.k, ldb: shape.k, ldc: shape.n, transB: true, alpha: 1)
    }

    /// Strided operands and a scale, as attention's per-head products use them (head slices of
    /// wider rows; `B` either transposed keys or plain values).
    @Test(arguments: [true, false])
    func stridedHeadSlices(transB: Bool) {
        Self.check(m: 33, n: 45, k: 16, lda: 64, ldb: transB ? 48 : 80, ldc: 50, transB: transB, alpha: 0.25)
        Self.check(m: 33, n: 45, k: 16, lda: 64, ldb: transB ? 48 : 80, ldc: 50, transB: transB, alpha: 0.125)
    }

    /// A product large enough to be split into row slices over the workers (65 × 300 × 300
    /// multiply-adds: uneven slices), with a bias added by oneDNN, equals the same product on
    /// one thread element for element.
    @Test(arguments: [true, false])
    func spreadProductWithBias(transB: Bool) {
        let (m, n, k) = (65, 300, 300)
        #expect(m * n * k >= OneDNNMatmul.spreadMultiplyAdds)
        let bias = (0..<n).map { Float($0 % 7) - 3 }
        let spread = Self.check(m: m, n: n, k: k, lda: k, ldb: transB ? k : n, ldc: n, transB: transB, alpha: 1, bias: bias)
        let single = Self.check(m: m, n: n, k: k, lda: k, ldb: transB ? k : n, ldc: n, transB: transB, alpha: 1, bias: bias,
                                spread: false)
        #expect(spread == single)
    }

    /// An activation fused into the product (a oneDNN post-op after the bias) against the
    /// product followed by `Activation.apply`: 1e-5 relative (oneDNN's exp and erf differ from
    /// libm's in the last bits). The f32 path applies the activation as it always did.
    @Test(arguments: [Activation.silu, .quickGELU, .gelu, .geluTanh])
    func fusedActivation(_ activation: Activation) {
        var generator = SplitMix64(seed: 11)
        func uniform(_ count: Int, _ scale: Float) -> [Float] { (0..<count).map { _ in scale * (Float(generator.next() >> 40) / Float(1 << 23) - 1) } }
        let x = Tensor(shape: [6, 40], values: uniform(240, 2)), w = Tensor(shape: [20, 40], values: uniform(800, 1)).converted(to: .bf16)
        let b = Tensor(shape: [20], values: uniform(20, 1))
        var separate = GEMM.linear(x, weight: w, bias: b, compute: .bf16)
        activation.apply(&separate)
        let fused = GEMM.linear(x, weight: w, bias: b, activation: activation, compute: .bf16).floats
        for (f, s) in zip(fused, separate.floats) { #expect(abs(f - s) <= 1e-5 * max(1, abs(s)), "\(activation): \(f) vs \(s)") }
        var f32 = GEMM.linear(x, weight: w, bias: b)
        activation.apply(&f32)
        #expect(GEMM.linear(x, weight: w, bias: b, activation: activation).floats == f32.floats)
    }

    /// An empty inner dimension gives zeros; empty outer dimensions write nothing.
    @Test func emptyShapes() {
        var c = [Float](repeating: 7, count: 6)
        OneDNNMatmul.multiply(m: 2, n: 3, k: 0, a: [], lda: 1, b: [], ldb: 1, transB: true, c: &c, ldc: 3)
        #expect(c == [0, 0, 0, 0, 0, 0])
        c = [7]
        OneDNNMatmul.multiply(m: 0, n: 1, k: 4, a: [], lda: 4, b: [0, 0, 0, 0], ldb: 4, transB: true, c: &c, ldc: 1)
        #expect(c == [7])
    }

    /// Products from several threads at once (each call has its own scratchpad and stream).
    @Test func concurrentProducts() {
        DispatchQueue.concurrentPerform(iterations: 4) { i in
            Self.check(m: 40 + i, n: 24, k: 48, lda: 48, ldb: 48, ldc: 24, transB: true, alpha: 1)
        }
    }

    /// `GEMM.linear` on the bf16 path: the product of x rounded to bf16 and the BF16 weight,
    /// plus the bias in f32; a single row (decode) reads x unrounded through the GEMV.
    @Test func linearOnTheBF16Path() throws {
        let rows = 5, inFeatures = 70, outFeatures = 30
        var generator = SplitMix64(seed: 9)
        let x = Tensor(shape: [rows, inFeatures], values: (0..<(rows * inFeatures)).map { _ in Float(generator.next() >> 40) / Float(1 << 24) - 0.5 })
        let w = Tensor(shape: [outFeatures, inFeatures], values: (0..<(outFeatures * inFeatures)).map { _ in Float(generator.next() >> 40) / Float(1 << 24) - 0.5 })
            .converted(to: .bf16)
        let b = Tensor(shape: [outFeatures], values: (0..<outFeatures).map { Float($0) / 10 })
        let y = GEMM.linear(x, weight: w, bias: b, compute: .bf16).floats
        let xs = x.floats, ws = w.floats
        for r in 0..<rows {
            for o in 0..<outFeatures {
                var sum = Double(b.floats[o])
                for i in 0..<inFeatures {
                    sum += Double(HalfPrecision.floatFromBF16(HalfPrecision.bf16FromFloat(xs[r * inFeatures + i]))) * Double(ws[o * inFeatures + i])
                }
                #expect(abs(Double(y[r * outFeatures + o]) - sum) <= 1e-5, "row \(r) output \(o)")
            }
        }
        // An input rounded once for several products gives the same products.
        let rounded = GEMM.productInput(x, compute: .bf16)
        #expect(rounded.dtype == .bf16)
        #expect(GEMM.linear(rounded, weight: w, bias: b, compute: .bf16).floats == y)
        #expect(GEMM.productInput(x, compute: .f32).dtype == .f32)
        #expect(GEMM.productInput(x.gatherRows([2]), compute: .bf16).dtype == .f32)
        let single = GEMM.linear(x.gatherRows([2]), weight: w, compute: .bf16).floats
        let exact = GEMM.linear(x.gatherRows([2]), weight: w).floats
        #expect(single == exact)
    }
}
