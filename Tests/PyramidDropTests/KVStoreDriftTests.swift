import PyramidDrop
import TestSupport
import Testing
import Transformer

/// The bf16 KV store under PyramidDrop against the f32 store.
@Suite struct KVStoreDriftTests {
    /// Generation with bf16 KV stores drifts from f32 stores by bf16's rounding of keys and
    /// values: on tiny LLaMA, prefill logits within 5e-2 (observed 1.5e-2), and the cache
    /// holds the same tokens per layer.
    @Test func bf16StoreDriftIsSmall() throws {
        let model = try ModelFixtures.languageModel("llama")
        let prompt = try DropParityTests.prompt(try ModelFixtures.expected("llama"))
        let policy = try PyramidDropPolicy(boundaries: [1, 2, 3], lambda: 0.5)
        let options = GenerationOptions(maxNewTokens: 4, stopTokenIDs: [])
        let f32 = try Generator(model: model, policy: policy).generate(prompt: prompt, options: options)
        let bf16 = try Generator(model: model, policy: policy, makeStore: { BF16KVStore() }).generate(prompt: prompt, options: options)
        #expect(maxAbsDiff(bf16.prefillLogits, f32.prefillLogits) <= 5e-2)
        #expect(bf16.trace.tokensPerLayer == f32.trace.tokensPerLayer)
        #expect(bf16.tokens.count == 4)
    }
}
