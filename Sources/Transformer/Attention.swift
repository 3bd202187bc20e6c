import CKernels
import PyramidDrop
import Tensors

/// Scaled dot-product attention over per-head slices of row-major `[tokens, heads · headDim]`
/// matrices, one head and one block of query rows at a time through `cblas_sgemm` (no
/// `[heads, n, n]` score tensor; causal blocks score only the keys they see).
/// Grouped-query attention: query head `h` reads key/value head `h / (heads / kvHeads)`.
public enum Attention {
    /// Causal attention of the `n` newest tokens' queries `q` (`[n, heads·hd]`) over every token in
    /// `store` (which already holds these tokens' keys and values): `[n, heads·hd]`. With
    /// `lastRowMean`, also writes the mean over heads of the last query's attention probabilities
    /// (`store.count` floats) — the row token policies rank with, from this very pass.
    public static func causal(queries q: Tensor, store: any KVStore, heads: Int, kvHeads: Int,
                              lastRowMean: UnsafeMutablePointer<Float>? = nil, compute: ComputePath = .f32) -> Tensor {
        let n = q.shape[0], width = q.shape[1]
        var out = Tensor(zeros: [n, width])
        q.withFloats { pq in
            out.withMutableFloats { po in
                store.withRows { rows in
                    let shape = Shape(queries: n, keys: rows.count, heads: heads, kvHeads: kvHeads, headDim: width / heads)
                    // A decode step (one query, no ranking row) walks the cache in C on either path.
                    let decodeStep = n == 1 && lastRowMean == nil
                    if compute == .bf16 && !decodeStep {
                        runBF16(q: pq.baseAddress!, keys: rows.keys!, values: rows.values!, dtype: rows.dtype, out: po.baseAddress!,
                                shape, lastRowMean: lastRowMean)
                        return
                    }
                    if decodeStep && (rows.dtype == .f32 || rows.dtype == .bf16) {
                        decode(q: pq.baseAddress!, rows, out: po.baseAddress!, shape)
                        return
                    }
                    switch rows.dtype {
                    case .f32:
                        run(q: pq.baseAddress!, k: rows.keys!.assumingMemoryBound(to: Float.self),
                            v: rows.values!.assumingMemoryBound(to: Float.self), out: po.baseAddress!, shape, lastRowMean: lastRowMean)
                    default:
                        // A prompt over 16-bit rows: widen the rows once, then the f32 path.
                        let k = widened(rows.keys!, rows), v = widened(rows.values!, rows)
                        k.withFloats { pk in
                            v.withFloats { pv in
                                run(q: pq.baseAddress!, k: pk.baseAddress!, v: pv.baseAddress!, out: po.baseAddress!, shape,
                                    lastRowMean: lastRowMean)
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Attention without a mask (every query sees every key, as in a vision tower) of `q`
    /// (`[n, heads·hd]`) over `k`, `v` (`[total, kvHeads·hd]`): `[n, heads·hd]`.
    public static func unmasked(queries q: Tensor, keys k: Tensor, values v: Tensor, heads: Int, kvHeads: Int,
                                compute: ComputePath = .f32) -> Tensor {
        let n = q.shape[0], width = q.shape[1]
        var out = Tensor(zeros: [n, width])
        q.withFloats { pq in k.withFloats { pk in v.withFloats { pv in out.withMutableFloats { po in
            let shape = Shape(queries: n, keys: k.shape[0], heads: heads, kvHeads: kvHeads, headDim: width / heads, causal: false)
            if compute == .bf16 {
                runBF16(q: pq.baseAddress!, keys: UnsafeRawPointer(pk.baseAddress!), values: UnsafeRawPointer(pv.baseAddress!),
                        dtype: .f32, out: po.baseAddress!, shape, lastRowMean: nil)
            } else {
                run(q: pq.baseAddress!, k: pk.baseAddress!, v: pv.baseAddress!, out: po.baseAddress!, shape, lastRowMean: nil)
            }
        } } } }
        return out
    }

    /// Sizes of one attention call: `queries` newest tokens over `keys` tokens (the first
    /// `keys − queries` from the cache).
    struct Shape {
        let queries: Int, keys: Int, heads: Int, kvHeads: Int, headDim: Int
        /// Causal (decoders) or every query seeing every key (vision towers).
        var causal = true
        var scale: Float { 1 / Float(headDim).squareRoot() }
        var groups: Int { heads / kvHeads }
    }

    /// Cached tokens per span of a decode step: the workers take whole spans, each streaming its
    /// own stretch of the cache (64 rows of 7B's keys are 1 MB), and the spans' partial softmaxes
    /// merge in order, so the result does not depend on how many workers there are.
    static let decodeSpanTokens = 64

    /// A decode step (one query, causal, no ranking row) over f32 or bf16 cache rows, in C.
    private static func decode(q: UnsafePointer<Float>, _ rows: KVRows, out: UnsafeMutablePointer<Float>, _ shape: Shape) {
        let (total, heads, headDim) = (rows.count, shape.heads, shape.headDim)
        let spans = (total + decodeSpanTokens - 1) / decodeSpanTokens, perSpan = heads * (headDim + 2)
        withScratch(spans * perSpan) { partials in
            Parallel.forEachChunk(of: spans, minimumPerWorker: 1) { range in
                withScratch(heads * decodeSpanTokens) { scores in
                    for span in range {
                        let t0 = span * decodeSpanTokens, t1 = min(total, t0 + decodeSpanTokens)
                        if rows.dtype == .f32 {
                            pd_attend_span(q, rows.keys!.assumingMemoryBound(to: Float.self), rows.values!.assumingMemoryBound(to: Float.self),
                                           t0, t1, heads, headDim, rows.width, shape.groups, shape.scale, partials + span * perSpan, scores)
                        } else {
                            pd_attend_span_bf16(q, rows.keys!.assumingMemoryBound(to: UInt16.self),
                                                rows.values!.assumingMemoryBound(to: UInt16.self), t0, t1, heads, headDim, rows.width,
                                                shape.groups, shape.scale, partials + span * perSpan, scores)
                        }
                    }
                }
            }
            pd_attend_merge(partials, spans, heads, headDim, out)
        }
    }

    /// 16-bit store rows as an f32 `[count, width]` tensor.
    private static func widened(_ source: UnsafeRawPointer, _ rows: KVRows) -> Tensor {
        var out = Tensor(zeros: [rows.count, rows.width])
        out.withMutableFloats { HalfPrecision.convertToFloat(source, dtype: rows.dtype, count: rows.count * rows.width, into: $0.baseAddress!) }
        return out
    }

    private static func withScratch(_ count: Int, _ body: (UnsafeMutablePointer<Float>) -> Void) {
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        defer { scratch.deallocate() }
        body(scratch)
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

    /// `out[n, heads·hd] = softmax(q kᵀ · scale + causal mask) v` over f32 rows, new row `i`
    /// seeing key rows `0 ... keys − n + i`; optionally the last row's probabilities, averaged
    /// over heads, into `lastRowMean`.
    static func run(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                    out: UnsafeMutablePointer<Float>, _ shape: Shape, lastRowMean: UnsafeMutablePointer<Float>?) {
        let headDim = shape.headDim
        let qWidth = shape.heads * headDim, kvWidth = shape.kvHeads * headDim
        let products = BlockProducts(
            scores: { h, r0, rows, width, scores in
                GEMM.sgemm(transB: true, m: rows, n: width, k: headDim, alpha: shape.scale,
                           a: q + r0 * qWidth + h * headDim, lda: qWidth, b: k + (h / shape.groups) * headDim, ldb: kvWidth,
                           c: scores, ldc: width)
            },
            values: { h, r0, rows, width, probabilities in
                GEMM.sgemm(m: rows, n: headDim, k: width, a: probabilities, lda: width, b: v + (h / shape.groups) * headDim,
                           ldb: kvWidth, c: out + r0 * qWidth + h * headDim, ldc: qWidth)
            })
        withLastRows(shape, lastRowMean) { lastRows in
            blocks(shape, products, heads: 0..<shape.heads, lastRows: lastRows, spreadSoftmax: true)
        }
    }

    /// `run` on the bf16 units: queries, keys and values rounded to bf16 once (keys and values
    /// of a BF16 store are used as they are), each head's score and value products through
    /// oneDNN with f32 results; softmax and the ranking row stay f32. The heads are split over
    /// the `Parallel` workers, each running its heads' products and softmax on its own thread
    /// (one fork per call, not one per product), and each head's Q, K and V columns are copied
    /// into dense matrices first (oneDNN runs strided operands on a slower kernel).
    static func runBF16(q: UnsafePointer<Float>, keys: UnsafeRawPointer, values: UnsafeRawPointer, dtype: DType,
                        out: UnsafeMutablePointer<Float>, _ shape: Shape, lastRowMean: UnsafeMutablePointer<Float>?) {
        let (n, total, headDim) = (shape.queries, shape.keys, shape.headDim)
        let qWidth = shape.heads * headDim, kvWidth = shape.kvHeads * headDim
        let block = min(n, queryBlock)
        let halves = block * total + (n + 2 * total) * headDim   // bf16 scratch: probabilities, then one head's Q, K, V
        GEMM.withBF16(q, count: n * qWidth) { qb in
            withBF16Rows(keys, dtype: dtype, count: total * kvWidth) { kb in
                withBF16Rows(values, dtype: dtype, count: total * kvWidth) { vb in
                    withLastRows(shape, lastRowMean) { lastRows in
                        Parallel.forEachChunk(of: shape.heads, minimumPerWorker: 1) { heads in
                            BufferPool.withScratch(byteCount: 4 * block * headDim + 2 * halves) { raw in
                                let headOut = raw.bindMemory(to: Float.self, capacity: block * headDim)
                                let probabilities = (raw + 4 * block * headDim).bindMemory(to: UInt16.self, capacity: halves)
                                let head = HeadColumns(q: probabilities + block * total, k: probabilities + block * total + n * headDim,
                                                       v: probabilities + block * total + (n + total) * headDim)
                                var packed = (query: -1, keyValue: -1)
                                func pack(_ h: Int) {
                                    if packed.query != h {
                                        HeadColumns.copy(qb + h * headDim, stride: qWidth, rows: n, headDim: headDim, into: head.q)
                                        packed.query = h
                                    }
                                    let kvh = h / shape.groups
                                    if packed.keyValue != kvh {
                                        HeadColumns.copy(kb + kvh * headDim, stride: kvWidth, rows: total, headDim: headDim, into: head.k)
                                        HeadColumns.copy(vb + kvh * headDim, stride: kvWidth, rows: total, headDim: headDim, into: head.v)
                                        packed.keyValue = kvh
                                    }
                                }
                                let products = BlockProducts(
                                    scores: { h, r0, rows, width, scores in
                                        pack(h)
                                        OneDNNMatmul.multiply(m: rows, n: width, k: headDim, alpha: shape.scale, a: head.q + r0 * headDim,
                                                              lda: headDim, b: head.k, ldb: headDim, transB: true, c: scores, ldc: width,
                                                              spread: false)
                                    },
                                    values: { h, r0, rows, width, p in
                                        HalfPrecision.convertFromFloat(p, count: rows * width, dtype: .bf16, into: probabilities)
                                        OneDNNMatmul.multiply(m: rows, n: headDim, k: width, a: probabilities, lda: width,
                                                              b: head.v, ldb: headDim, transB: false, c: headOut, ldc: headDim, spread: false)
                                        for i in 0..<rows {
                                            (out + (r0 + i) * qWidth + h * headDim).update(from: headOut + i * headDim, count: headDim)
                                        }
                                    })
                                blocks(shape, products, heads: heads, lastRows: lastRows, spreadSoftmax: false)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Where one head's columns of Q, K and V are copied to as dense `[rows, headDim]` bf16
    /// matrices.
    private struct HeadColumns {
        let q: UnsafeMutablePointer<UInt16>, k: UnsafeMutablePointer<UInt16>, v: UnsafeMutablePointer<UInt16>

        /// Copies `headDim` columns of `rows` rows (`stride` apart) from `source` to `destination`.
        static func copy(_ source: UnsafePointer<UInt16>, stride: Int, rows: Int, headDim: Int, into destination: UnsafeMutablePointer<UInt16>) {
            for i in 0..<rows { (destination + i * headDim).update(from: source + i * stride, count: headDim) }
        }
    }

    /// Calls `body` with room for each head's last-row probabilities (`[heads, keys]`) when
    /// `lastRowMean` is asked for (nil otherwise), then writes their mean over heads — summed in
    /// head order — into `lastRowMean`.
    private static func withLastRows(_ shape: Shape, _ lastRowMean: UnsafeMutablePointer<Float>?,
                                     _ body: (UnsafeMutablePointer<Float>?) -> Void) {
        guard let lastRowMean else { return body(nil) }
        let total = shape.keys
        let lastRows = UnsafeMutablePointer<Float>.allocate(capacity: max(shape.heads * total, 1))
        defer { lastRows.deallocate() }
        body(lastRows)
        lastRowMean.update(repeating: 0, count: total)
        for h in 0..<shape.heads {
            let row = lastRows + h * total
            for j in 0..<total { lastRowMean[j] += row[j] }
        }
        let inv = 1 / Float(shape.heads)
        for j in 0..<total { lastRowMean[j] *= inv }
    }

    /// Rows of f32 or bf16 elements as bf16 bits: BF16 rows in place, f32 rows rounded into a
    /// temporary buffer.
    private static func withBF16Rows(_ rows: UnsafeRawPointer, dtype: DType, count: Int, _ body: (UnsafePointer<UInt16>) -> Void) {
        if dtype == .bf16 {
            body(rows.assumingMemoryBound(to: UInt16.self))
        } else {
            precondition(dtype == .f32, "attention rows are f32 or bf16, got \(dtype.rawValue)")
            GEMM.withBF16(rows.assumingMemoryBound(to: Float.self), count: count, body)
        }
    }

    /// One head's block products: `scores(h, r0, rows, width, into)` writes `scale · Q Kᵀ` of
    /// query rows `r0 ..< r0 + rows` over the first `width` keys; `values(h, r0, rows, width, p)`
    /// writes `p · V` into those rows of head `h` of the output.
    struct BlockProducts {
        let scores: (Int, Int, Int, Int, UnsafeMutablePointer<Float>) -> Void
        let values: (Int, Int, Int, Int, UnsafeMutablePointer<Float>) -> Void
    }

    /// The prefill loop over `heads` and blocks of query rows: a causal block only scores the
    /// keys its last row sees (the lower triangle, not all n × total scores), and the scratch is
    /// one block's rows. With `lastRows` (`[heads, keys]`), each head's last-query probabilities
    /// are written to its row. `spreadSoftmax` splits each block's softmax over the workers
    /// (callers already on a worker pass false).
    private static func blocks(_ shape: Shape, _ products: BlockProducts, heads: Range<Int>, lastRows: UnsafeMutablePointer<Float>?,
                               spreadSoftmax: Bool) {
        let (n, total) = (shape.queries, shape.keys)
        let block = min(n, queryBlock)
        BufferPool.withScratch(byteCount: 4 * block * total) { raw in
            let scores = raw.bindMemory(to: Float.self, capacity: max(block * total, 1))
            for h in heads {
                for r0 in stride(from: 0, to: n, by: block) {
                    let rows = min(block, n - r0)
                    let width = shape.causal ? total - n + r0 + rows : total
                    products.scores(h, r0, rows, width, scores)
                    normalizeRows(scores, rows: rows, width: width, firstVisible: shape.causal ? total - n + r0 + 1 : width,
                                  spread: spreadSoftmax)
                    if let lastRows, r0 + rows == n {
                        let last = scores + (rows - 1) * width, row = lastRows + h * total
                        row.update(from: last, count: width)
                        (row + width).update(repeating: 0, count: total - width)
                    }
                    products.values(h, r0, rows, width, scores)
                }
            }
        }
    }

    /// Per head, the unmasked attention probabilities of one query row `q` (`[1, heads·hd]`) over
    /// keys `k` (`[total, heads·hd]`): `[heads, total]` (a vision tower's class-token row).
    public static func headProbabilities(query q: Tensor, keys k: Tensor, heads: Int) -> Tensor {
        precondition(q.rank == 2 && q.shape[0] == 1 && k.rank == 2 && k.shape[1] == q.shape[1],
                     "headProbabilities: query \(q.shape), keys \(k.shape)")
        let width = q.shape[1], headDim = width / heads, total = k.shape[0]
        let scale = 1 / Float(headDim).squareRoot()
        var out = Tensor(zeros: [heads, total])
        q.withFloats { pq in k.withFloats { pk in out.withMutableFloats { po in
            for h in 0..<heads {
                let row = po.baseAddress! + h * total
                GEMM.sgemm(transB: true, m: 1, n: total, k: headDim, alpha: scale, a: pq.baseAddress! + h * headDim, lda: width,
                           b: pk.baseAddress! + h * headDim, ldb: width, c: row, ldc: total)
                Softmax.inPlace(row, count: total)
            }
        } } }
        return out
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

    /// Query rows per block of prefill attention.
    static let queryBlock = 256

    /// Softmax of `rows` score rows of `width` keys in place; row `i` sees its first
    /// `min(width, firstVisible + i)` keys, the rest become 0. `spread` splits the rows over the
    /// workers.
    private static func normalizeRows(_ scores: UnsafeMutablePointer<Float>, rows n: Int, width: Int, firstVisible: Int, spread: Bool) {
        func normalize(_ rows: Range<Int>) {
            for i in rows {
                let row = scores + i * width
                let visible = min(width, firstVisible + i)
                Softmax.inPlace(row, count: visible)
                if visible < width { (row + visible).update(repeating: 0, count: width - visible) }
            }
        }
        guard spread else { return normalize(0..<n) }
        Parallel.forEachChunk(of: n, minimumPerWorker: max(1, 32_768 / max(width, 1)), normalize)
    }
}
