import CKernels
import PyramidDrop
import Tensors

/// Scaled dot-product attention over per-head slices of row-major `[tokens, heads · headDim]`
/// matrices, one head at a time through `cblas_sgemm` (no `[heads, n, n]` score tensor).
/// Grouped-query attention: query head `h` reads key/value head `h / (heads / kvHeads)`.
public enum Attention {
    /// Causal attention of the `n` newest tokens' queries `q` (`[n, heads·hd]`) over every token in
    /// `cache` (which already holds these tokens' keys and values): `[n, heads·hd]`.
    public static func causal(queries q: Tensor, cache: LayerCache, heads: Int, kvHeads: Int) -> Tensor {
        let n = q.shape[0], width = q.shape[1]
        var out = Tensor(zeros: [n, width])
        q.withFloats { pq in
            out.withMutableFloats { po in
                cache.keys.withUnsafeBufferPointer { keys in
                    cache.values.withUnsafeBufferPointer { values in
                        run(q: pq.baseAddress!, k: keys.baseAddress!, v: values.baseAddress!, out: po.baseAddress!, queries: n,
                            keys: cache.count, heads: heads, kvHeads: kvHeads, headDim: width / heads, causal: true)
                    }
                }
            }
        }
        return out
    }

    /// Mean over heads of the causal attention probabilities of queries `q` (`[queryRows.count,
    /// heads·hd]`, at key indices `queryRows`) over keys `k` (`[tokens, kvHeads·hd]`): `[queries, tokens]`.
    public static func meanProbabilities(queries q: Tensor, keys k: Tensor, queryRows: [Int], heads: Int, kvHeads: Int) -> Tensor {
        q.withFloats { pq in
            k.withFloats { pk in
                meanProbabilities(q: pq.baseAddress!, k: pk.baseAddress!, queryRows: queryRows, keys: k.shape[0],
                                  heads: heads, kvHeads: kvHeads, headDim: q.shape[1] / heads)
            }
        }
    }

    /// `out[n, heads·hd] = softmax(q kᵀ · scale + causal mask) v` where `q` holds the `n` newest
    /// tokens and `k`/`v` hold `total` tokens (the first `total − n` from the cache). With
    /// `causal`, new row `i` sees key rows `0 ... total − n + i`.
    static func run(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                    out: UnsafeMutablePointer<Float>, queries n: Int, keys total: Int,
                    heads: Int, kvHeads: Int, headDim: Int, causal: Bool) {
        let qWidth = heads * headDim, kvWidth = kvHeads * headDim
        let groups = heads / kvHeads
        let scale = 1 / Float(headDim).squareRoot()
        if n == 1 {
            // A decode step: heads split over the cores, each walking the cache token by token in
            // vectorised C, and no OpenBLAS call to wake its threads between the GEMVs.
            Parallel.forEachChunk(of: heads, minimumPerWorker: 4) { range in
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(range.count * total, 1))
                defer { scratch.deallocate() }
                pd_attend_heads(q, k, v, out, total, headDim, kvWidth, groups, range.lowerBound, range.upperBound, scale, scratch)
            }
            return
        }
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: n * total)
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
        Parallel.forEachChunk(of: n, minimumPerWorker: max(1, 32_768 / max(total, 1))) { rows in for i in rows {
            let row = scores + i * total
            let visible = causal ? total - n + i + 1 : total
            Softmax.inPlace(row, count: visible)
            if visible < total { (row + visible).update(repeating: 0, count: total - visible) }
        } }
    }
}
