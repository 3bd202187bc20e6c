import Tensors

/// Scaled dot-product attention over per-head slices of row-major `[tokens, heads · headDim]`
/// matrices, one head at a time through `cblas_sgemm` (no `[heads, n, n]` score tensor).
/// Grouped-query attention: query head `h` reads key/value head `h / (heads / kvHeads)`.
enum Attention {
    /// `out[n, heads·hd] = softmax(q kᵀ · scale + causal mask) v` where `q` holds the `n` newest
    /// tokens and `k`/`v` hold `total` tokens (the first `total − n` from the cache). With
    /// `causal`, new row `i` sees key rows `0 ... total − n + i`.
    static func run(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                    out: UnsafeMutablePointer<Float>, queries n: Int, keys total: Int,
                    heads: Int, kvHeads: Int, headDim: Int, causal: Bool) {
        let qWidth = heads * headDim, kvWidth = kvHeads * headDim
        let groups = heads / kvHeads
        let scale = 1 / Float(headDim).squareRoot()
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: max(n * total, 1))
        defer { scores.deallocate() }
        for h in 0..<heads {
            let g = h / groups
            GEMM.sgemm(transB: true, m: n, n: total, k: headDim, alpha: scale,
                       a: q + h * headDim, lda: qWidth, b: k + g * headDim, ldb: kvWidth,
                       c: scores, ldc: total)
            normalizeRows(scores, rows: n, keys: total, causal: causal)
            GEMM.sgemm(m: n, n: headDim, k: total, a: scores, lda: total, b: v + g * headDim, ldb: kvWidth,
                       c: out + h * headDim, ldc: qWidth)
        }
    }

    /// Mean over heads of the attention probabilities of `n` query rows over `total` keys;
    /// `queryRows[i]` is the key index of query `i` (for the causal mask). Returns `[n, total]`.
    static func meanProbabilities(q: UnsafePointer<Float>, k: UnsafePointer<Float>, queryRows: [Int], keys total: Int,
                                  heads: Int, kvHeads: Int, headDim: Int) -> Tensor {
        let n = queryRows.count
        let qWidth = heads * headDim, kvWidth = kvHeads * headDim
        let groups = heads / kvHeads
        let scale = 1 / Float(headDim).squareRoot()
        var mean = Tensor(zeros: [n, total])
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: max(n * total, 1))
        defer { scores.deallocate() }
        mean.withMutableFloats { acc in
            for h in 0..<heads {
                GEMM.sgemm(transB: true, m: n, n: total, k: headDim, alpha: scale,
                           a: q + h * headDim, lda: qWidth, b: k + (h / groups) * headDim, ldb: kvWidth,
                           c: scores, ldc: total)
                for (i, row) in queryRows.enumerated() {
                    let p = scores + i * total
                    Softmax.inPlace(p, count: row + 1)
                    (p + row + 1).update(repeating: 0, count: total - row - 1)
                }
                for i in 0..<(n * total) { acc[i] += scores[i] }
            }
            let inv = 1 / Float(heads)
            for i in acc.indices { acc[i] *= inv }
        }
        return mean
    }

    private static func normalizeRows(_ scores: UnsafeMutablePointer<Float>, rows n: Int, keys total: Int, causal: Bool) {
        for i in 0..<n {
            let row = scores + i * total
            let visible = causal ? total - n + i + 1 : total
            Softmax.inPlace(row, count: visible)
            if visible < total { (row + visible).update(repeating: 0, count: total - visible) }
        }
    }
}
