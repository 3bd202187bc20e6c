import CBLAS
import CKernels

/// Matrix products through OpenBLAS `cblas_sgemm`. All matrices are row-major.
public enum GEMM {
    /// `C[m,n] = alpha · op(A) · op(B) + beta · C` on raw pointers with leading dimensions, so that
    /// per-head slices of a `[tokens, heads·headDim]` matrix can be multiplied without copies.
    @inline(__always)
    public static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            // An empty product: C = beta · C (BLAS would reject the zero leading dimensions).
            for i in 0..<m {
                for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] }
            }
            return
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `A[m,k] · B[k,n]` (or with either operand transposed).
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        precondition(a.rank == 2 && b.rank == 2, "matmul needs matrices, got \(a.shape) and \(b.shape)")
        let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (k2, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        precondition(k == k2, "matmul inner dimensions differ: \(a.shape) · \(b.shape)")
        var out = Tensor(zeros: [m, n])
        a.withFloats { pa in
            b.withFloats { pb in
                out.withMutableFloats { pc in
                    sgemm(transA: transposeA, transB: transposeB, m: m, n: n, k: k,
                          a: pa.baseAddress!, lda: a.shape[1], b: pb.baseAddress!, ldb: b.shape[1],
                          c: pc.baseAddress!, ldc: n)
                }
            }
        }
        return out
    }

    /// Rows of a 16-bit weight converted to f32 per GEMM call; bounds the scratch at
    /// `tileRows × inFeatures` floats whatever the weight's size.
    public static let weightTileRows = 1024

    /// `y[n, out] = x[n, in] · Wᵀ + b`, the PyTorch `nn.Linear` convention (`weight` is `[out, in]`).
    /// `weight` may be stored as F32, F16, BF16 or a block format (`quantizedLinear`). A single row (a decode step) goes through our
    /// vectorised GEMV on both cores, reading 16-bit weights as they are; more rows go through
    /// `sgemm`, 16-bit weights over tiles converted into a reused scratch buffer (never expanded
    /// whole) — or, with `compute: .bf16` (BF16 weights), through oneDNN's bf16 matmul with the
    /// rows of `x` rounded to bf16.
    ///
    /// On the bf16 path `x` may already be rounded (a BF16 tensor from `productInput`), so that
    /// the products of one input share one rounding; the bias is then added by oneDNN as the
    /// product is written. `activation`, if given, is applied to the result (after the bias):
    /// fused into oneDNN's product on the bf16 path, `Activation.apply` on the f32 path.
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, activation: Activation? = nil,
                              compute: ComputePath = .f32) -> Tensor {
        precondition(weight.rank == 2, "linear weight must be [out, in], got \(weight.shape)")
        let outFeatures = weight.shape[0], inFeatures = weight.shape[1]
        precondition(x.shape.last == inFeatures, "linear: input \(x.shape) does not match weight \(weight.shape)")
        precondition(bias == nil || bias!.shape == [outFeatures], "linear bias \(bias!.shape) does not match weight \(weight.shape)")
        let rows = x.shape.dropLast().reduce(1, *)
        var out = Tensor(zeros: Array(x.shape.dropLast()) + [outFeatures])
        if weight.dtype.isBlockQuantized && inFeatures > 0 {
            quantizedLinear(x, weight: weight, bias: bias, activation: activation, compute: compute, rows: rows, into: &out)
            return out
        }
        if compute == .bf16 && rows > 1 && inFeatures > 0 && !weight.isDirectFloat {
            out.withMutableFloats { py in bf16GEMM(weight, x: x, rows: rows, bias: bias, activation: activation, y: py.baseAddress!) }
            return out
        }
        x.withFloats { px in
            out.withMutableFloats { py in
                let (xp, yp) = (px.baseAddress!, py.baseAddress!)
                if inFeatures == 0 {
                    // Nothing to multiply: the output is the bias alone.
                } else if weight.isDirectFloat {
                    weight.withFloats { pw in
                        if rows == 1 {
                            gemv(outFeatures: outFeatures, inFeatures: inFeatures) { r0, r1 in
                                pd_gemv_32(pw.baseAddress!, xp, yp, inFeatures, r0, r1)
                            }
                        } else {
                            sgemm(transB: true, m: rows, n: outFeatures, k: inFeatures, a: xp, lda: inFeatures,
                                  b: pw.baseAddress!, ldb: inFeatures, c: yp, ldc: outFeatures)
                        }
                    }
                } else if rows == 1 {
                    halfGEMV(weight, x: xp, y: yp)
                } else {
                    tiledHalfGEMM(weight, x: xp, rows: rows, y: yp)
                }
                if let bias { addBias(bias, rows: rows, to: yp, outFeatures: outFeatures) }
            }
        }
        activation?.apply(&out)
        return out
    }

    /// `y[rows, out] = activation(bf16(x) · Wᵀ + bias)` on the bf16 units, for a BF16 `W` (`x` f32, rounded
    /// here, or already BF16).
    private static func bf16GEMM(_ weight: Tensor, x: Tensor, rows: Int, bias: Tensor?, activation: Activation?,
                                 y: UnsafeMutablePointer<Float>) {
        precondition(weight.dtype == .bf16, "bf16 compute needs BF16 weights, got \(weight.dtype.rawValue)")
        let outFeatures = weight.shape[0], inFeatures = weight.shape[1]
        let w = weight.rawBytes.baseAddress!.assumingMemoryBound(to: UInt16.self)
        func multiply(_ xb: UnsafePointer<UInt16>, _ b: UnsafePointer<Float>?) {
            OneDNNMatmul.multiply(m: rows, n: outFeatures, k: inFeatures, a: xb, lda: inFeatures, b: w, ldb: inFeatures,
                                  transB: true, c: y, ldc: outFeatures, bias: b, activation: activation)
        }
        withBias(bias) { b in withProductBF16(x) { multiply($0, b) } }
    }

    /// Calls `body` with `x`'s elements as bf16 bits for a product: in place when `x` is BF16
    /// already (`productInput`), else rounded once into a temporary buffer.
    static func withProductBF16(_ x: Tensor, _ body: (UnsafePointer<UInt16>) -> Void) {
        if x.dtype == .bf16 { return body(x.rawBytes.baseAddress!.assumingMemoryBound(to: UInt16.self)) }
        x.withFloats { px in withBF16(px.baseAddress!, count: px.count, body) }
    }

    /// Calls `body` with the bias's floats (nil without a bias).
    static func withBias(_ bias: Tensor?, _ body: (UnsafePointer<Float>?) -> Void) {
        guard let bias else { return body(nil) }
        bias.withFloats { body($0.baseAddress!) }
    }

    /// `x` as the products of `compute` read it: on the bf16 path, for more than one row,
    /// rounded to BF16 once (so that several `linear` calls on the same input — q/k/v, gate/up
    /// — share one rounding); `x` itself otherwise.
    public static func productInput(_ x: Tensor, compute: ComputePath) -> Tensor {
        compute == .bf16 && x.shape.dropLast().reduce(1, *) > 1 ? x.converted(to: .bf16) : x
    }

    /// Calls `body` with `count` floats from `source` rounded to bf16 bits in a temporary buffer.
    public static func withBF16<R>(_ source: UnsafePointer<Float>, count: Int, _ body: (UnsafePointer<UInt16>) -> R) -> R {
        BufferPool.withScratch(byteCount: 2 * count) { raw in
            let buffer = raw.bindMemory(to: UInt16.self, capacity: max(count, 1))
            HalfPrecision.convertFromFloat(source, count: count, dtype: .bf16, into: buffer)
            return body(buffer)
        }
    }

    /// `y = W x` for a 16-bit `W` `[out, in]`, reading the weight directly.
    private static func halfGEMV(_ weight: Tensor, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        let w = weight.rawBytes.baseAddress!.assumingMemoryBound(to: UInt16.self)
        let isBF16: Int32 = weight.dtype == .bf16 ? 1 : 0
        gemv(outFeatures: weight.shape[0], inFeatures: weight.shape[1]) { r0, r1 in
            pd_gemv_16(w, isBF16, x, y, weight.shape[1], r0, r1)
        }
    }

    /// Runs a GEMV kernel `rows(r0, r1)` over `0..<outFeatures`, split over the cores when the
    /// matrix is large enough (our own kernels for f32 too: a decode step never wakes OpenBLAS).
    static func gemv(outFeatures: Int, inFeatures: Int, rows: (Int, Int) -> Void) {
        let parts = outFeatures * inFeatures >= 1 << 18 ? Parallel.workers : 1
        Parallel.forEach(parts) { part in
            rows(outFeatures * part / parts, outFeatures * (part + 1) / parts)
        }
    }

    /// `y[rows, out] = x · Wᵀ` for a 16-bit `W`, converting `weightTileRows` rows at a time.
    private static func tiledHalfGEMM(_ weight: Tensor, x: UnsafePointer<Float>, rows: Int, y: UnsafeMutablePointer<Float>) {
        let outFeatures = weight.shape[0], inFeatures = weight.shape[1]
        let tile = min(weightTileRows, outFeatures)
        BufferPool.withScratch(byteCount: 4 * tile * inFeatures) { raw in
        let scratch = raw.bindMemory(to: Float.self, capacity: tile * inFeatures)
            let elementBytes = weight.dtype.bitWidth / 8
            var r0 = 0
            while r0 < outFeatures {
                let n = min(tile, outFeatures - r0)
                HalfPrecision.convertToFloat(weight.rawBytes.baseAddress! + r0 * inFeatures * elementBytes,
                                             dtype: weight.dtype, count: n * inFeatures, into: scratch)
                sgemm(transB: true, m: rows, n: n, k: inFeatures, a: x, lda: inFeatures,
                      b: scratch, ldb: inFeatures, c: y + r0, ldc: outFeatures)
                r0 += n
            }
        }
    }
}
