import CKernels

/// Numerically stable softmax.
public enum Softmax {
    /// Softmax of `count` values at `row`, in place (subtracts the maximum first; a row of all
    /// `-inf` becomes all zeros rather than NaN).
    @inline(__always)
    public static func inPlace(_ row: UnsafeMutablePointer<Float>, count: Int) {
        pd_softmax(row, count)
    }

    /// Softmax over the last dimension of `x`.
    public static func lastDimension(_ x: Tensor) -> Tensor {
        var out = x
        let d = x.shape.last ?? 0
        out.withMutableFloats { p in
            for r in 0..<(p.count / max(d, 1)) { inPlace(p.baseAddress! + r * d, count: d) }
        }
        return out
    }
}
