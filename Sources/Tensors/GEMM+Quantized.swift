import CKernels

extension GEMM {
    /// `y[rows, out] = activation(x · Wᵀ + bias)` for a block-quantized `W` (`Q8_0`, `Q4_0`, their
    /// GEMV layouts, `Q4_K`, `Q6_K`). One row (a decode step): `x` quantized to int8 once and the
    /// integer GEMV over the weight as stored, split over the cores. More rows (prefill): the
    /// weight dequantized `weightTileRows` rows at a time into scratch — f32 for `sgemm`, or bf16
    /// for oneDNN on the bf16 path — never the whole matrix.
    static func quantizedLinear(_ x: Tensor, weight: Tensor, bias: Tensor?, activation: Activation?, compute: ComputePath,
                                rows: Int, into out: inout Tensor) {
        let outFeatures = weight.shape[0], inFeatures = weight.shape[1]
        x.withFloats { px in
            out.withMutableFloats { py in
                let (xp, yp) = (px.baseAddress!, py.baseAddress!)
                if rows == 1 {
                    quantizedGEMV(weight, x: xp, vectors: 1, y: yp)
                    if let bias { addBias(bias, rows: 1, to: yp, outFeatures: outFeatures) }
                    return
                }
                let tile = min(weightTileRows, outFeatures)
                BufferPool.withScratch(byteCount: 4 * tile * inFeatures) { raw in
                    let scratch = raw.bindMemory(to: Float.self, capacity: tile * inFeatures)
                    var r0 = 0
                    while r0 < outFeatures {
                        let n = min(tile, outFeatures - r0)
                        Parallel.forEachChunk(of: n, minimumPerWorker: 64) { part in
                            weight.dequantizeRows(r0 + part.lowerBound..<r0 + part.upperBound, into: scratch + part.lowerBound * inFeatures)
                        }
                        if compute == .bf16 {
                            bf16TileProduct(x: xp, rows: rows, tile: scratch, r0: r0, n: n, inFeatures: inFeatures, outFeatures: outFeatures,
                                            bias: bias, activation: activation, y: yp)
                        } else {
                            sgemm(transB: true, m: rows, n: n, k: inFeatures, a: xp, lda: inFeatures, b: scratch, ldb: inFeatures,
                                  c: yp + r0, ldc: outFeatures)
                        }
                        r0 += n
                    }
                }
                if compute != .bf16, let bias { addBias(bias, rows: rows, to: yp, outFeatures: outFeatures) }
            }
        }
        if compute != .bf16 || rows == 1 { activation?.apply(&out) }
    }

    /// Columns `r0 ..< r0 + n` of `y` from one dequantized weight tile on the bf16 units: the tile
    /// and `x` rounded to bf16, the bias and activation fused into the product.
    private static func bf16TileProduct(x: UnsafePointer<Float>, rows: Int, tile: UnsafePointer<Float>, r0: Int, n: Int, inFeatures: Int,
                                        outFeatures: Int, bias: Tensor?, activation: Activation?, y: UnsafeMutablePointer<Float>) {
        withBF16(x, count: rows * inFeatures) { xb in
            withBF16(tile, count: n * inFeatures) { wb in
                func multiply(_ b: UnsafePointer<Float>?) {
                    OneDNNMatmul.multiply(m: rows, n: n, k: inFeatures, a: xb, lda: inFeatures, b: wb, ldb: inFeatures, transB: true,
                                          c: y + r0, ldc: outFeatures, bias: b, activation: activation)
                }
                guard let bias else { return multiply(nil) }
                bias.withFloats { multiply($0.baseAddress! + r0) }
            }
        }
    }

    /// `y[v] = W x[v]` for `vectors` rows of `x`, each quantized once and every output bit for bit
    /// what the one-vector product gives (the weight read once per block of rows for all of them).
    static func quantizedGEMV(_ weight: Tensor, x: UnsafePointer<Float>, vectors: Int, y: UnsafeMutablePointer<Float>) {
        let outFeatures = weight.shape[0], inFeatures = weight.shape[1], type = weight.dtype.ggmlType!
        let stride = (pd_qgemv_scratch_bytes(type, inFeatures) + 63) / 64 * 64
        precondition(stride > 0, "no quantized GEMV for \(weight.dtype.rawValue) with \(inFeatures) columns")
        let w = weight.rawBytes.baseAddress!
        BufferPool.withScratch(byteCount: stride * vectors) { xq in
            for v in 0..<vectors { pd_quantize_activations(type, x + v * inFeatures, inFeatures, xq + v * stride) }
            // Parts start at multiples of 8 rows (the GEMV layout's groups).
            let parts = outFeatures * inFeatures >= 1 << 18 ? Parallel.workers : 1, groups = (outFeatures + 7) / 8
            Parallel.forEach(parts) { part in
                let r0 = min(outFeatures, 8 * (groups * part / parts)), r1 = min(outFeatures, 8 * (groups * (part + 1) / parts))
                guard r0 < r1 else { return }
                if weight.dtype.isInterleaved {
                    pd_qgemv_x8_vectors(type, w, outFeatures, xq, stride, vectors, y, outFeatures, inFeatures, r0, r1)
                } else {
                    pd_qgemv_vectors(type, w, xq, stride, vectors, y, outFeatures, inFeatures, r0, r1)
                }
            }
        }
    }

    /// `y[r] += bias` for every row.
    static func addBias(_ bias: Tensor, rows: Int, to y: UnsafeMutablePointer<Float>, outFeatures: Int) {
        bias.withFloats { pb in
            for r in 0..<rows {
                let row = y + r * outFeatures
                for i in 0..<outFeatures { row[i] += pb[i] }
            }
        }
    }
}
