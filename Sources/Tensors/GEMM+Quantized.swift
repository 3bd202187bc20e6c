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
        if rows == 1 {
            x.withFloats { px in
                out.withMutableFloats { py in
                    quantizedGEMV(weight, x: px.baseAddress!, vectors: 1, y: py.baseAddress!)
                    if let bias { addBias(bias, rows: 1, to: py.baseAddress!, outFeatures: outFeatures) }
                }
            }
            activation?.apply(&out)
        } else if compute == .bf16 {
            out.withMutableFloats { py in
                withBias(bias) { b in
                    withProductBF16(x) { xb in
                        dequantizedTiles(of: weight, asBF16: true) { tile, r0, n in
                            OneDNNMatmul.multiply(m: rows, n: n, k: inFeatures, a: xb, lda: inFeatures,
                                                  b: tile.assumingMemoryBound(to: UInt16.self), ldb: inFeatures, transB: true,
                                                  c: py.baseAddress! + r0, ldc: outFeatures, bias: b.map { $0 + r0 }, activation: activation)
                        }
                    }
                }
            }
        } else {
            x.withFloats { px in
                out.withMutableFloats { py in
                    dequantizedTiles(of: weight, asBF16: false) { tile, r0, n in
                        sgemm(transB: true, m: rows, n: n, k: inFeatures, a: px.baseAddress!, lda: inFeatures,
                              b: tile.assumingMemoryBound(to: Float.self), ldb: inFeatures, c: py.baseAddress! + r0, ldc: outFeatures)
                    }
                    if let bias { addBias(bias, rows: rows, to: py.baseAddress!, outFeatures: outFeatures) }
                }
            }
            activation?.apply(&out)
        }
    }

    /// Calls `body(tile, r0, n)` for each run of `weightTileRows` rows of `weight` from `r0`,
    /// dequantized into one reused scratch tile — f32, or rounded on to bf16 — by all the workers.
    private static func dequantizedTiles(of weight: Tensor, asBF16: Bool, _ body: (UnsafeRawPointer, Int, Int) -> Void) {
        let outFeatures = weight.shape[0], inFeatures = weight.shape[1]
        let tile = min(weightTileRows, outFeatures)
        BufferPool.withScratch(byteCount: (asBF16 ? 6 : 4) * tile * inFeatures) { raw in
            let floats = raw.bindMemory(to: Float.self, capacity: tile * inFeatures)
            let halves = UnsafeMutableRawPointer(floats + tile * inFeatures).bindMemory(to: UInt16.self, capacity: tile * inFeatures)
            var r0 = 0
            while r0 < outFeatures {
                let n = min(tile, outFeatures - r0)
                Parallel.forEachChunk(of: n, minimumPerWorker: 64) { part in
                    let offset = part.lowerBound * inFeatures
                    weight.dequantizeRows(r0 + part.lowerBound..<r0 + part.upperBound, into: floats + offset)
                    if asBF16 { pd_f32_to_bf16(floats + offset, halves + offset, part.count * inFeatures) }
                }
                body(asBF16 ? UnsafeRawPointer(halves) : UnsafeRawPointer(floats), r0, n)
                r0 += n
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
