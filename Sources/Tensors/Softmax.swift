import Foundation

/// Numerically stable softmax.
public enum Softmax {
    /// Softmax of `count` values at `row`, in place (subtracts the maximum first; a row of all
    /// `-inf` becomes all zeros rather than NaN).
    @inline(__always)
    public static func inPlace(_ row: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0 else { return }
        var maxValue = -Float.infinity
        for i in 0..<count where row[i] > maxValue { maxValue = row[i] }
        if maxValue == -.infinity {
            row.update(repeating: 0, count: count)
            return
        }
        var sum: Float = 0
        for i in 0..<count {
            let e = exp(row[i] - maxValue)
            row[i] = e
            sum += e
        }
        let inv = 1 / sum
        for i in 0..<count { row[i] *= inv }
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
