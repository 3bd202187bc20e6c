import CKernels

extension GEMM {
    /// `y = x · Wᵀ (+ bias)` with every row of `x` computed exactly as a one-row `linear` computes
    /// it (the same GEMV kernels over the same row splits), while each block of 64 weight rows is
    /// read from memory once for all rows of `x` (`pd_gemv_16_vectors`, `pd_gemv_32_vectors`): the
    /// decode step of several sequences at once, bit for bit the results of decoding each alone.
    public static func rowwiseLinear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
        precondition(weight.rank == 2 && x.shape.last == weight.shape[1], "rowwiseLinear: input \(x.shape) does not match weight \(weight.shape)")
        let outFeatures = weight.shape[0], inFeatures = weight.shape[1]
        let rows = x.shape.dropLast().reduce(1, *)
        guard rows > 1, inFeatures > 0 else { return linear(x, weight: weight, bias: bias) }
        var out = Tensor(zeros: Array(x.shape.dropLast()) + [outFeatures])
        x.withFloats { px in
            out.withMutableFloats { py in
                let (xp, yp) = (px.baseAddress!, py.baseAddress!)
                if weight.dtype.isBlockQuantized {
                    quantizedGEMV(weight, x: xp, vectors: rows, y: yp)
                } else if weight.isDirectFloat {
                    weight.withFloats { pw in
                        gemv(outFeatures: outFeatures, inFeatures: inFeatures) { r0, r1 in
                            pd_gemv_32_vectors(pw.baseAddress!, xp, rows, yp, outFeatures, inFeatures, r0, r1)
                        }
                    }
                } else {
                    let w = weight.rawBytes.baseAddress!.assumingMemoryBound(to: UInt16.self)
                    let isBF16: Int32 = weight.dtype == .bf16 ? 1 : 0
                    gemv(outFeatures: outFeatures, inFeatures: inFeatures) { r0, r1 in
                        pd_gemv_16_vectors(w, isBF16, xp, rows, yp, outFeatures, inFeatures, r0, r1)
                    }
                }
                if let bias { addBias(bias, rows: rows, to: yp, outFeatures: outFeatures) }
            }
        }
        return out
    }
}
