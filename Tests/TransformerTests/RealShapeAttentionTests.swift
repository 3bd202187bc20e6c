import PyramidDrop
import Tensors
import TestSupport
import Testing
import Transformer

/// Attention at a 7B model's head counts — 32 query heads over 32 (MHA) or 8 (GQA) key/value heads —
/// over 1100 tokens, against torch's `scaled_dot_product_attention` (in float64) and a float64
/// mean of softmax probabilities (Tests/Fixtures/attention/make_attention_fixtures.py). The inputs
/// are drawn here from the same SplitMix64 stream as the generator; the fixture holds only expected
/// rows (every 17th and the last three).
///
/// The shapes cross the multi-threaded splits (with `Parallel.workers` ≥ 2): a prefill
/// normalises its score rows in chunks of `32 768 / 1100` = 29 rows, so 1100 rows give 37 parts;
/// a decode step (n = 1) splits the 32 heads into parts of at least 4. Every test runs on both
/// kernel paths (softmax and decode attention are C kernels).
///
/// Tolerance: max |Δ| ≤ 1e-5 for outputs (|values| < 1) and 1e-7 for mean probabilities (each
/// about 1e-3). Measured (x86-64 with AVX2, 2 workers), on either kernel path: outputs ≤ 2.6e-7
/// (prefill and chunk) and 2.4e-7 (decode); mean probabilities ≤ 2.1e-9.
@Suite struct RealShapeAttentionTests {
    static let tokens = 1100, heads = 32, headDim = 16
    static let cases = ["mha": Inputs(seed: 101, kvHeads: 32), "gqa": Inputs(seed: 102, kvHeads: 8)]
    let expected: [String: Tensor]

    init() throws {
        expected = try Fixtures.tensors("attention/attention.safetensors")
    }

    /// All 1100 queries over the 1100 cached tokens (a prefill).
    @Test(arguments: ["mha", "gqa"], KernelPath.allCases)
    func prefillMatchesTorch(name: String, path: KernelPath) throws {
        let input = Self.cases[name]!
        let out = path.run { AttentionAPI.causal(input.q, keys: input.k, values: input.v, kvHeads: input.kvHeads) }
        try expectRows(out, firstRow: 0, name)
    }

    /// The last 1050 queries over all 1100 tokens (a second prefill chunk after 50 cached tokens):
    /// query i sees tokens 0 ... 50 + i.
    @Test(arguments: ["mha", "gqa"], KernelPath.allCases)
    func chunkAfterCachedTokensMatchesTorch(name: String, path: KernelPath) throws {
        let input = Self.cases[name]!, first = 50
        let q = Tensor(shape: [Self.tokens - first, input.q.shape[1]], values: Array(input.q.floats[(first * input.q.shape[1])...]))
        let out = path.run { AttentionAPI.causal(q, keys: input.k, values: input.v, kvHeads: input.kvHeads) }
        try expectRows(out, firstRow: first, name)
    }

    /// Decode steps (n = 1) over caches of 1004 ... 1100 tokens: the query of row r over tokens 0 ... r.
    @Test(arguments: ["mha", "gqa"], KernelPath.allCases)
    func decodeOverALongCacheMatchesTorch(name: String, path: KernelPath) throws {
        let input = Self.cases[name]!
        let rows = try tensor(expected, "\(name).rows").integers, reference = try tensor(expected, "\(name).out").floats
        let qWidth = input.q.shape[1], kvWidth = input.k.shape[1]
        var checked = 0
        for (index, row) in rows.enumerated() where row >= 1000 {
            let q = Tensor(shape: [1, qWidth], values: Array(input.q.floats[(row * qWidth)..<((row + 1) * qWidth)]))
            let k = Tensor(shape: [row + 1, kvWidth], values: Array(input.k.floats[..<((row + 1) * kvWidth)]))
            let v = Tensor(shape: [row + 1, kvWidth], values: Array(input.v.floats[..<((row + 1) * kvWidth)]))
            let out = path.run { AttentionAPI.causal(q, keys: k, values: v, kvHeads: input.kvHeads) }
            let diff = maxAbsDiff(out.floats, Array(reference[(index * qWidth)..<((index + 1) * qWidth)]))
            #expect(diff <= 1e-5, "\(name) decode of row \(row): max |Δ| \(diff)")
            checked += 1
        }
        #expect(checked == 9)
    }

    /// Mean over heads of the causal probabilities of query rows 550 and 1099 (the last, which the
    /// token rankers read) over all 1100 keys.
    @Test(arguments: ["mha", "gqa"], KernelPath.allCases)
    func meanProbabilitiesMatchTorch(name: String, path: KernelPath) throws {
        let input = Self.cases[name]!
        let rows = try tensor(expected, "\(name).mean_rows").integers
        let qWidth = input.q.shape[1]
        let q = Tensor(shape: [rows.count, qWidth], values: rows.flatMap { input.q.floats[($0 * qWidth)..<(($0 + 1) * qWidth)] })
        let mean = path.run { AttentionAPI.meanProbabilities(q, keys: input.k, queryRows: rows, kvHeads: input.kvHeads) }
        let reference = try tensor(expected, "\(name).mean")
        #expect(mean.shape == reference.shape)
        let diff = maxAbsDiff(mean.floats, reference.floats)
        #expect(diff <= 1e-7, "\(name) mean probabilities: max |Δ| \(diff)")
        for i in rows.indices {
            let p = mean.floats[(i * Self.tokens)..<((i + 1) * Self.tokens)]
            #expect(abs(p.reduce(0, +) - 1) < 1e-5 && p.dropFirst(rows[i] + 1).allSatisfy { $0 == 0 })
        }
    }

    /// Attention without a mask (a vision tower's), 1100 queries in blocks over all 1100 keys.
    @Test(arguments: KernelPath.allCases)
    func unmaskedAttentionMatchesTorch(path: KernelPath) throws {
        let input = Self.cases["mha"]!
        let out = path.run { Attention.unmasked(queries: input.q, keys: input.k, values: input.v, heads: Self.heads, kvHeads: input.kvHeads) }
        let rows = try tensor(expected, "mha.full_rows").integers, reference = try tensor(expected, "mha.full").floats
        let width = out.shape[1], values = out.floats
        var worst: Float = 0
        for (index, row) in rows.enumerated() {
            worst = max(worst, maxAbsDiff(Array(values[(row * width)..<((row + 1) * width)]),
                                          Array(reference[(index * width)..<((index + 1) * width)])))
        }
        #expect(rows.count == 23)
        #expect(worst <= 1e-5, "unmasked: max |Δ| \(worst)")
    }

    /// The last query's mean attention row that a prefill hands token policies from its own
    /// softmax (`lastRowMean`) equals torch's mean over heads for row 1099.
    @Test(arguments: ["mha", "gqa"], KernelPath.allCases)
    func prefillLastRowMeanMatchesTorch(name: String, path: KernelPath) throws {
        let input = Self.cases[name]!
        let rows = try tensor(expected, "\(name).mean_rows").integers
        let last = try #require(rows.firstIndex(of: Self.tokens - 1))
        var row = [Float](repeating: 0, count: Self.tokens)
        _ = path.run { row.withUnsafeMutableBufferPointer { AttentionAPI.causal(input.q, keys: input.k, values: input.v, kvHeads: input.kvHeads, lastRowMean: $0.baseAddress) } }
        let reference = try tensor(expected, "\(name).mean").floats
        let diff = maxAbsDiff(row, Array(reference[(last * Self.tokens)..<((last + 1) * Self.tokens)]))
        #expect(diff <= 1e-7, "\(name) last-row mean from the prefill: max |Δ| \(diff)")
    }

    /// The stored rows of `name` (absolute token indices) against `out`, whose row 0 is token `firstRow`.
    private func expectRows(_ out: Tensor, firstRow: Int, _ name: String) throws {
        let rows = try tensor(expected, "\(name).rows").integers, reference = try tensor(expected, "\(name).out").floats
        let width = out.shape[1], values = out.floats
        #expect(out.shape == [Self.tokens - firstRow, Self.heads * Self.headDim])
        var worst: Float = 0
        for (index, row) in rows.enumerated() where row >= firstRow {
            let r = row - firstRow
            worst = max(worst, maxAbsDiff(Array(values[(r * width)..<((r + 1) * width)]),
                                          Array(reference[(index * width)..<((index + 1) * width)])))
        }
        #expect(worst <= 1e-5, "\(name): max |Δ| \(worst)")
    }

    /// q (`[tokens, heads·hd]`, ×4), k and v (`[tokens, kvHeads·hd]`) drawn in that order from
    /// `SplitMix64(seed)` as `uniform` floats — the generator's `inputs`.
    struct Inputs: Sendable {
        let kvHeads: Int
        let q: Tensor, k: Tensor, v: Tensor

        init(seed: UInt64, kvHeads: Int) {
            self.kvHeads = kvHeads
            var generator = SplitMix64(seed: seed)
            func draw(_ width: Int, scale: Float = 1) -> Tensor {
                Tensor(shape: [tokens, width], values: (0..<(tokens * width)).map { _ in scale * (Float(generator.next() >> 40) / Float(1 << 23) - 1) })
            }
            q = draw(heads * headDim, scale: 4)
            k = draw(kvHeads * headDim)
            v = draw(kvHeads * headDim)
        }
    }
}

/// The only calls into the attention API, kept in one place.
private enum AttentionAPI {
    static let heads = RealShapeAttentionTests.heads

    /// Causal attention of the last `q.shape[0]` of the tokens in `keys`/`values` over all of them.
    static func causal(_ q: Tensor, keys: Tensor, values: Tensor, kvHeads: Int, lastRowMean: UnsafeMutablePointer<Float>? = nil) -> Tensor {
        var store: any KVStore = F32KVStore()
        store.append(keys: keys, values: values)
        return Attention.causal(queries: q, store: store, heads: heads, kvHeads: kvHeads, lastRowMean: lastRowMean)
    }

    static func meanProbabilities(_ q: Tensor, keys: Tensor, queryRows: [Int], kvHeads: Int) -> Tensor {
        Attention.meanProbabilities(queries: q, keys: keys, queryRows: queryRows, heads: heads, kvHeads: kvHeads)
    }
}
