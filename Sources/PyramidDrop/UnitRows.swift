import Tensors

/// Each row of `x` (`[rows, width]`) times the reciprocal of its length, the length clamped below
/// at `minimumNorm`: `torch.nn.functional.cosine_similarity`'s normalisation with its eps 1e-8
/// (DART), or a plain division by the norm with 0, where a zero row becomes non-finite as in
/// DivPrune's official code.
func unitRows(_ x: Tensor, minimumNorm: Float) -> [Float] {
    let width = x.shape[1]
    var values = x.floats
    for r in 0..<x.shape[0] {
        var norm: Float = 0
        for j in 0..<width { norm += values[r * width + j] * values[r * width + j] }
        let scale = 1 / max(norm.squareRoot(), minimumNorm)
        for j in 0..<width { values[r * width + j] *= scale }
    }
    return values
}
