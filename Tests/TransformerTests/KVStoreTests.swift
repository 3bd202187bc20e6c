import PyramidDrop
import Tensors
import TestSupport
import Testing
import Transformer

/// The bf16 KV store against the f32 store.
@Suite struct KVStoreTests {
    static func randomTensor(_ shape: [Int], seed: UInt64) -> Tensor {
        var random = SplitMix64(seed: seed)
        return Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in Float(random.next() >> 40) / Float(1 << 24) - 0.5 })
    }

    static func roundedToBF16(_ t: Tensor) -> Tensor {
        Tensor(shape: t.shape, values: t.floats.map { HalfPrecision.floatFromBF16(HalfPrecision.bf16FromFloat($0)) })
    }

    /// Decode attention (one query, 32 heads over 8 KV heads, 300 cached tokens: the head split
    /// over workers) and prompt attention (n > 1, widened rows) over a bf16 store equal the f32
    /// store holding the same bf16-rounded rows: the kernel widens exactly. Both kernel paths.
    @Test(arguments: [1, 5], KernelPath.allCases)
    func bf16RowsAttendLikeTheirF32Values(queries: Int, path: KernelPath) {
        let (heads, kvHeads, headDim, tokens) = (32, 8, 16, 300)
        let keys = Self.randomTensor([tokens, kvHeads * headDim], seed: 1), values = Self.randomTensor([tokens, kvHeads * headDim], seed: 2)
        var bf16: any KVStore = BF16KVStore(), f32: any KVStore = F32KVStore()
        bf16.append(keys: keys, values: values)
        f32.append(keys: Self.roundedToBF16(keys), values: Self.roundedToBF16(values))
        #expect(bf16.count == tokens)
        #expect(bf16.keys(0..<tokens).floats == f32.keys(0..<tokens).floats)
        let q = Self.randomTensor([queries, heads * headDim], seed: 3)
        let a = path.run { Attention.causal(queries: q, store: bf16, heads: heads, kvHeads: kvHeads) }
        let b = path.run { Attention.causal(queries: q, store: f32, heads: heads, kvHeads: kvHeads) }
        #expect(maxAbsDiff(a.floats, b.floats) <= 1e-6)
    }
}
