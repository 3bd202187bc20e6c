import PyramidDrop
import Tensors
import TestSupport
import Testing
import Transformer
import WeightIO

/// PyramidDrop and FastV against the PyTorch reference of the official algorithm
/// (Tests/Fixtures/models/make_model_fixtures.py: `pruned_forward`) on tiny LLaMA, Mistral and
/// Qwen2 models: a prompt of 10 text tokens, 24 image embeddings and 8 text tokens.
@Suite struct DropParityTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let model: String
        let policy: String
        var testDescription: String { "\(model)/\(policy)" }
    }

    static let cases = ["llama", "mistral", "qwen2"].flatMap { m in ["pdrop", "fastv"].map { Case(model: m, policy: $0) } }

    static func wrapper(_ policy: String, model: LlamaModel) throws -> PyramidWrapper {
        switch policy {
        case "pdrop":
            return try PyramidWrapper(model: model, policy: PyramidDropPolicy(boundaries: [1, 2, 3], lambda: 0.5))
        default:
            return try PyramidWrapper(model: model, policy: FastVPolicy(k: 2, dropRatio: 0.5))
        }
    }

    static func prompt(_ expected: SafeTensorsFile) throws -> TokenState {
        let embeds = try expected.tensor("inputs_embeds").toFloat32()
        let range = try expected.tensor("image_range").integers
        return TokenState(hidden: embeds, isImage: (0..<embeds.shape[0]).map { $0 >= range[0] && $0 < range[1] })
    }

    /// Kept indices per stage identical; last-position logits max |Δ| ≤ 1e-4; 8 greedy decode
    /// tokens identical (decode positions as the reference computes them).
    @Test(arguments: cases)
    func matchesReference(_ c: Case) throws {
        let model = try ModelFixtures.languageModel(c.model)
        let expected = try ModelFixtures.expected(c.model)
        let result = try Generator(model: model, wrapper: try Self.wrapper(c.policy, model: model))
            .generate(prompt: try Self.prompt(expected), options: GenerationOptions(maxNewTokens: 8, stopTokenIDs: []))
        let stages = c.policy == "pdrop" ? 3 : 1
        #expect(result.trace.stages.count == stages)
        for s in 0..<stages {
            #expect(result.trace.stages[s].kept == (try expected.tensor("\(c.policy)_kept_\(s)").integers))
        }
        #expect(maxAbsDiff(result.prefillLogits, try expected.tensor("\(c.policy)_logits").floats) <= 1e-4)
        #expect(result.tokens == (try expected.tensor("\(c.policy)_greedy").integers))
    }

    /// Tokens per layer shrink as the schedule says; the KV cache of each layer holds exactly the
    /// tokens alive there (plus the decoded ones).
    @Test func cachesHoldOnlyKeptTokens() throws {
        let model = try ModelFixtures.languageModel("llama")
        let wrapper = try Self.wrapper("pdrop", model: model)
        var caches = wrapper.makeCaches()
        let (_, trace) = try wrapper.prefill(try Self.prompt(try ModelFixtures.expected("llama")), caches: &caches)
        #expect(trace.imageTokensPerLayer == [24, 12, 6, 3])
        #expect(trace.tokensPerLayer == [42, 30, 24, 21])
        #expect(caches.layers.map { $0.count } == [42, 30, 24, 21])
        _ = wrapper.decode(try model.embed([5]), caches: &caches)
        #expect(caches.layers.map { $0.count } == [43, 31, 25, 22])
    }

    /// With an empty schedule or λ = 1 the wrapper's logits equal the plain model's exactly.
    @Test func noDropIsBitExact() throws {
        let model = try ModelFixtures.languageModel("llama")
        let prompt = try Self.prompt(try ModelFixtures.expected("llama"))
        var plain = prompt
        for layer in model.layers {
            var cache: any KVStore = F32KVStore()
            layer.forward(&plain, cache: &cache)
        }
        let plainLogits = model.logits(plain.hidden).floats
        let wrappers = [
            try PyramidWrapper(model: model, policy: PyramidDropPolicy(schedule: .none)),
            try PyramidWrapper(model: model, policy: PyramidDropPolicy(boundaries: [1, 2, 3], lambda: 1)),
        ]
        for wrapper in wrappers {
            var caches = wrapper.makeCaches()
            let (state, _) = try wrapper.prefill(prompt, caches: &caches)
            #expect(model.logits(state.hidden).floats == plainLogits)
        }
        // And the reference's own no-drop run agrees with the plain model.
        let last = Array(plainLogits.suffix(model.vocabularySize))
        #expect(maxAbsDiff(last, try ModelFixtures.expected("llama").tensor("none_logits").floats) <= 1e-4)
    }
}
