import PyramidDrop
import Tensors
import TestSupport
import Testing
import Transformer

/// `GenerationSession`: sessions over one shared model, stepped in turn (as a server interleaves
/// requests' decode steps), each give what transformers and the official-algorithm port give for
/// that request alone (Tests/Fixtures/models/make_model_fixtures.py).
@Suite struct GenerationSessionTests {
    /// A plain greedy request and a PyramidDrop request stepped round-robin: 16 tokens equal to
    /// transformers' greedy ids, 8 equal to the port's PyramidDrop greedy ids.
    @Test(arguments: ["llama", "qwen2"])
    func interleavedSessionsMatchTheirReferences(name: String) throws {
        let prompts = try ReferencePrompts(name)
        let (model, expected) = (prompts.model, prompts.expected)
        var sessions = [
            try GenerationSession(generator: Generator(model: model), prompt: prompts.plain, options: GenerationOptions(maxNewTokens: 16, stopTokenIDs: [])),
            try GenerationSession(generator: prompts.pyramidDrop(), prompt: prompts.dropped, options: GenerationOptions(maxNewTokens: 8, stopTokenIDs: [])),
        ]
        while sessions.contains(where: { !$0.isFinished }) {
            for i in sessions.indices { _ = try sessions[i].step() }
        }
        #expect(sessions[0].tokens == (try expected.tensor("greedy_ids").integers))
        #expect(sessions[1].tokens == (try expected.tensor("pdrop_greedy").integers))
        #expect(maxAbsDiff(sessions[1].prefillLogits, try expected.tensor("pdrop_logits").floats) <= 1e-4)
        #expect(try sessions[0].step() == nil)
    }

    /// `finish()` ends a session at once; `betweenLayers` runs once per layer and what it throws
    /// aborts the prefill.
    @Test func finishAndBetweenLayers() throws {
        let model = try ModelFixtures.languageModel("llama")
        let state = TokenState(hidden: try model.embed([1, 2, 3]), isImage: [false, false, false])
        var calls = 0
        var session = try GenerationSession(generator: Generator(model: model), prompt: state,
                                            options: GenerationOptions(maxNewTokens: 8, stopTokenIDs: [])) { calls += 1 }
        #expect(calls == model.config.layerCount)
        #expect(try session.step() != nil)
        session.finish()
        #expect(try session.step() == nil && session.tokens.count == 1)
        struct Cancelled: Error {}
        #expect(throws: Cancelled.self) {
            try GenerationSession(generator: Generator(model: model), prompt: state,
                                  options: GenerationOptions(maxNewTokens: 8, stopTokenIDs: [])) { throw Cancelled() }
        }
    }
}
