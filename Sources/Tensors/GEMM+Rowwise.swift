import CKernels

extension GEMM {
    /// Weight rows per block of `rowwiseLinear`: 64 rows of a 7B model's 4096 columns are 512 KB
    /// of 16-bit weights, which stay in the core's L2 while every row of `x` passes over them.
    static let rowwiseBlock = 64

    /// `y = x · Wᵀ (+ bias)` with every row of `x` computed exactly as a one-row `linear` computes
    /// it (the same GEMV kernels over the same row splits), while each block of weight rows is read
    /// from memory once for all rows of `x`: the decode step of several sequences at once, whose
    /// results are bit for bit those of decoding them one by one.
    public static func rowwiseLinear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
        precondition(weight.rank == 2 && x.shape.last == weight.shape[1], "rowwiseLinear: input \(x.shape) does not match weight \(weight.shape)")
        let outFeatures = weight.shape[0], inFeatures = weight.shape[1]
        let rows = x.shape.dropLast().reduce(1, *)
        guard rows > 1, inFeatures > 0 else { return linear(x, weight: weight, bias: bias) }
        var out = Tensor(zeros: Array(x.shape.dropLast()) + [outFeatures])
        x.withFloats { px in
            out.withMutableFloats { py in
                let (xp, yp) = (px.baseAddress!, py.baseAddress!)
                func blocks(_ kernel: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int) -> Void) {
                    gemv(outFeatures: outFeatures, inFeatures: inFeatures) { r0, r1 in
                        for start in stride(from: r0, to: r1, by: rowwiseBlock) {
                            let end = min(start + rowwiseBlock, r1)
                            for r in 0..<rows { kernel(xp + r * inFeatures, yp + r * outFeatures, start, end) }
                        }
                    }
                }
                if weight.isDirectFloat {
                    weight.withFloats { pw in blocks { x, y, r0, r1 in pd_gemv_32(pw.baseAddress!, x, y, inFeatures, r0, r1) } }
                } else {
                    let w = weight.rawBytes.baseAddress!.assumingMemoryBound(to: UInt16.self)
                    let isBF16: Int32 = weight.dtype == .bf16 ? 1 : 0
                    blocks { x, y, r0, r1 in pd_gemv_16(w, isBF16, x, y, inFeatures, r0, r1) }
                }
                if let bias {
                    bias.withFloats { pb in
                        for r in 0..<rows {
                            let row = yp + r * outFeatures
                            for i in 0..<outFeatures { row[i] += pb[i] }
                        }
                    }
                }
            }
        }
        return out
    }
}
