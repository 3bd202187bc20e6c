import PyramidDrop
import Tensors
import TestSupport
import Testing
import Transformer
import WeightIO

/// Parity with transformers' `LlamaForCausalLM` / `MistralForCausalLM` / `Qwen2ForCausalLM` on tiny
/// random models (Tests/Fixtures/models/make_model_fixtures.py).
@Suite struct LlamaParityTests {
    /// Full-sequence logits of the plain model: max |Δ| ≤ 1e-4 in f32.
    @Test(arguments: ["llama", "mistral", "qwen2"])
    func fullSequenceLogits(name: String) throws {
        let model = try ModelFixtures.languageModel(name)
        let expected = try ModelFixtures.expected(name)
        let ids = try expected.tensor("input_ids").integers
        let logits = try model.forward(ids)
        let reference = try expected.tensor("logits")
        #expect(logits.shape == reference.shape)
        #expect(maxAbsDiff(logits.floats, reference.floats) <= 1e-4)
    }

    /// 16 greedy tokens through the KV-cache decode path equal `generate(do_sample=False)`.
    @Test(arguments: ["llama", "mistral", "qwen2"])
    func greedyGeneration(name: String) throws {
        let model = try ModelFixtures.languageModel(name)
        let expected = try ModelFixtures.expected(name)
        let prompt = try expected.tensor("greedy_prompt").integers
        let wrapper = try PyramidWrapper(model: model, policy: KeepAllPolicy())
        let state = TokenState(hidden: try model.embed(prompt), isImage: Array(repeating: false, count: prompt.count))
        let result = try Generator(model: model, wrapper: wrapper)
            .generate(prompt: state, options: GenerationOptions(maxNewTokens: 16, stopTokenIDs: []))
        #expect(result.tokens == (try expected.tensor("greedy_ids").integers))
    }

    /// The cached decode path computes the same logits as a full re-run without cache.
    @Test(arguments: ["llama", "mistral", "qwen2"])
    func decodeMatchesFullRerun(name: String) throws {
        let model = try ModelFixtures.languageModel(name)
        let ids = try ModelFixtures.expected(name).tensor("input_ids").integers
        let wrapper = try PyramidWrapper(model: model, policy: KeepAllPolicy())
        var caches = wrapper.makeCaches()
        let prefix = 16
        _ = try wrapper.prefill(TokenState(hidden: try model.embed(Array(ids[..<prefix])), isImage: Array(repeating: false, count: prefix)),
                            caches: &caches)
        let full = try model.forward(ids).floats
        let vocabulary = model.vocabularySize
        for step in prefix..<ids.count {
            let hidden = wrapper.decode(try model.embed([ids[step]]), caches: &caches)
            let logits = model.logits(hidden).floats
            #expect(maxAbsDiff(logits, Array(full[(step * vocabulary)..<((step + 1) * vocabulary)])) <= 1e-5)
        }
    }

    /// f16 / bf16 storage: computed in f32 from the stored weights, the logits match transformers
    /// run on the same rounded weights to 1e-4 (the conversion itself is exact). Against the
    /// original f32 weights they drift by the storage rounding: f16 keeps 11 significant bits
    /// (relative error 2⁻¹¹ ≈ 5e-4 per weight), bf16 keeps 8 (2⁻⁸ ≈ 4e-3), which through four
    /// layers moves logits of magnitude ~3 by well under 0.02 and 0.15 respectively.
    @Test(arguments: [("llama-f16", Float(0.02)), ("llama-bf16", Float(0.15))])
    func halfPrecisionStorage(name: String, driftFromF32: Float) throws {
        let model = try ModelFixtures.languageModel(name)
        let expected = try ModelFixtures.expected(name)
        let logits = try model.forward(try expected.tensor("input_ids").integers).floats
        #expect(maxAbsDiff(logits, try expected.tensor("logits").floats) <= 1e-4)
        let f32 = try ModelFixtures.expected("llama").tensor("logits").floats
        let drift = maxAbsDiff(logits, f32)
        #expect(drift > 0 && drift <= driftFromF32)
    }
}

/// The steady state of decoding takes every owned tensor buffer from the pool: after a couple of
/// warm-up steps, each activation tensor a step makes is a buffer an earlier step gave back.
///
/// What is counted: `BufferPool.Statistics` of a private pool installed with `withPool`, i.e. the
/// storage of every owned `Tensor` created on this (the decoding) thread — `systemAllocations` are
/// pool misses. What is not: memory that is not tensor storage (the decode attention's per-step
/// score scratch, `withFloats`' conversion copies of 16-bit tensors, the KV cache's Swift arrays
/// growing by amortised doubling, Swift arrays and OpenBLAS's own buffers), and tensors created on
/// other threads (they come from `BufferPool.shared`; `Parallel` workers create none today). So
/// this is not a count of all system allocations, only of the pool's.
@Suite struct SteadyStateAllocationTests {
    @Test(arguments: ["llama", "llama-bf16"])
    func decodeStepsTakeEveryTensorBufferFromThePool(name: String) throws {
        let model = try ModelFixtures.languageModel(name)
        let ids = try ModelFixtures.expected(name).tensor("input_ids").integers
        let wrapper = try PyramidWrapper(model: model, policy: KeepAllPolicy())
        let pool = BufferPool(capacity: 64 << 20)
        try BufferPool.withPool(pool) {
            var caches = wrapper.makeCaches()
            let prefix = 8
            let prompt = TokenState(hidden: try model.embed(Array(ids[..<prefix])), isImage: Array(repeating: false, count: prefix))
            _ = try wrapper.prefill(prompt, caches: &caches)
            func step(_ id: Int) throws { _ = model.logits(wrapper.decode(try model.embed([id]), caches: &caches)) }
            for id in ids[prefix..<(prefix + 2)] { try step(id) }
            let warm = pool.statistics
            for id in ids[(prefix + 2)...] {
                try step(id)
                // Every buffer the step took is back in the pool (none kept alive, none freed to the system).
                #expect(pool.statistics.cachedBytes == warm.cachedBytes)
            }
            #expect(pool.statistics.systemAllocations == warm.systemAllocations)
            #expect(pool.statistics.reuses > warm.reuses + 10 * (ids.count - prefix - 2))
        }
    }
}
