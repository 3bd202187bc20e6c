import CKernels

extension GEMM {
    /// `y[rows, out] = activation(x · Wᵀ + bias)` for a block-quantized `W` (`Q8_0`, `Q4_0`, their
    /// GEMV layouts, `Q4_K`, `Q6_K`). One row (a decode step): `x` quantized to int8 once and the
    /// integer GEMV over the weight as stored, split over the cores. More rows (prefill): never the
    /// whole matrix dequantized — on the bf16 path each worker dequantizes its own slices of rows
    /// to bf16 and multiplies them through oneDNN on its thread (`bf16Products`); on the f32 path
    /// `weightTileRows` rows at a time go to f32 scratch for `sgemm`.
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
                        bf16Products(weight, x: xb, rows: rows, bias: b, activation: activation, into: py.baseAddress!)
                    }
                }
            }
        } else {
            x.withFloats { px in
                out.withMutableFloats { py in
                    dequantizedTiles(of: weight) { tile, r0, n in
                        sgemm(transB: true, m: rows, n: n, k: inFeatures, a: px.baseAddress!, lda: inFeatures,
                              b: tile, ldb: inFeatures, c: py.baseAddress! + r0, ldc: outFeatures)
                    }
                    if let bias { addBias(bias, rows: rows, to: py.baseAddress!, outFeatures: outFeatures) }
                }
            }
            activation?.apply(&out)
        }
    }

    /// Rows of a quantized weight with `inFeatures` columns that one worker dequantizes to bf16 and
    /// multiplies at once: about 4 MB of bf16 (a multiple of 16 rows), the fastest of the 1–16 MB
    /// tried on 7B's shapes at 640 tokens (Zen 4: `pdrop bench --weights q4_0`, 0.81 of the GEMM
    /// yardstick against 0.87 for bf16 weights in the same session; 1 MB slices, 0.67).
    public static func bf16SliceRows(inFeatures: Int) -> Int { max(16, (4 << 20) / (2 * inFeatures) / 16 * 16) }

    /// `y = activation(x · Wᵀ + bias)` on the bf16 path for a quantized `W`: the workers take
    /// slices of `bf16SliceRows` weight rows, each dequantized (8 rows at a time through f32,
    /// then rounded) into the worker's own scratch and multiplied there by oneDNN on that thread.
    private static func bf16Products(_ weight: Tensor, x: UnsafePointer<UInt16>, rows: Int, bias: UnsafePointer<Float>?,
                                     activation: Activation?, into y: UnsafeMutablePointer<Float>) {
        let outFeatures = weight.shape[0], inFeatures = weight.shape[1]
        let slice = min(bf16SliceRows(inFeatures: inFeatures), outFeatures), slices = (outFeatures + slice - 1) / slice
        Parallel.forEachChunk(of: slices, minimumPerWorker: 1) { range in
            BufferPool.withScratch(byteCount: 2 * slice * inFeatures + 4 * 8 * inFeatures) { raw in
                let halves = raw.bindMemory(to: UInt16.self, capacity: slice * inFeatures)
                let floats = (raw + 2 * slice * inFeatures).bindMemory(to: Float.self, capacity: 8 * inFeatures)
                for index in range {
                    let r0 = index * slice, n = min(slice, outFeatures - r0)
                    for g in stride(from: 0, to: n, by: 8) {
                        let count = min(8, n - g)
                        weight.dequantizeRows(r0 + g..<r0 + g + count, into: floats)
                        pd_f32_to_bf16(floats, halves + g * inFeatures, count * inFeatures)
                    }
                    OneDNNMatmul.multiply(m: rows, n: n, k: inFeatures, a: x, lda: inFeatures, b: halves, ldb: inFeatures,
                                          transB: true, c: y + r0, ldc: outFeatures, bias: bias.map { $0 + r0 },
                                          activation: activation, spread: false)
                }
            }
        }
    }

    /// Calls `body(tile, r0, n)` for each run of `weightTileRows` rows of `weight` from `r0`,
    /// dequantized to f32 into one reused scratch tile by all the workers.
    private static func dequantizedTiles(of weight: Tensor, _ body: (UnsafePointer<Float>, Int, Int) -> Void) {
        let outFeatures = weight.shape[0], inFeatures = weight.shape[1]
        let tile = min(weightTileRows, outFeatures)
        BufferPool.withScratch(byteCount: 4 * tile * inFeatures) { raw in
            let floats = raw.bindMemory(to: Float.self, capacity: tile * inFeatures)
            var r0 = 0
            while r0 < outFeatures {
                let n = min(tile, outFeatures - r0)
                Parallel.forEachChunk(of: n, minimumPerWorker: 64) { part in
                    weight.dequantizeRows(r0 + part.lowerBound..<r0 + part.upperBound, into: floats + part.lowerBound * inFeatures)
                }
                body(floats, r0, n)
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
