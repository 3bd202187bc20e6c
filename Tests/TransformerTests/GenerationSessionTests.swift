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

    /// Three sessions (plain, PyramidDrop, FastV; different lengths and position modes) stepped
    /// together with `GenerationSession.step` — one pass over the weights per step — give bit for
    /// bit the tokens and logits of each stepped alone; the plain and PyramidDrop ones equal their
    /// transformers / port references. Also over F16 and BF16 weights (the 16-bit GEMVs), on every
    /// kernel level the CPU has.
    @Test(arguments: [("llama", "llama"), ("qwen2", "qwen2"), ("llama", "llama-f16"), ("llama", "llama-bf16")], KernelPath.allCases)
    func batchedStepsEqualSteppingAlone(fixture: (name: String, weights: String), path: KernelPath) throws {
        try path.run { try batchedStepsEqualSteppingAlone(name: fixture.name, weights: fixture.weights) }
    }

    func batchedStepsEqualSteppingAlone(name: String, weights: String) throws {
        let prompts = try ReferencePrompts(name, weights: weights)
        let (model, expected) = (prompts.model, prompts.expected)
        let fastV = try Generator(model: model, policy: FastVPolicy(k: 2, dropRatio: 0.5, positionMode: .compact))
        func sessions() throws -> [GenerationSession] {
            [try GenerationSession(generator: Generator(model: model), prompt: prompts.plain, options: GenerationOptions(maxNewTokens: 16, stopTokenIDs: [])),
             try GenerationSession(generator: prompts.pyramidDrop(), prompt: prompts.dropped, options: GenerationOptions(maxNewTokens: 8, stopTokenIDs: [])),
             try GenerationSession(generator: fastV, prompt: prompts.dropped, options: GenerationOptions(maxNewTokens: 12, stopTokenIDs: []))]
        }
        var alone = try sessions(), together = try sessions()
        var aloneLogits: [[[Float]]] = [[], [], []], togetherLogits: [[[Float]]] = [[], [], []]
        while together.contains(where: { !$0.isFinished }) {
            let tokens = try GenerationSession.step(&together)
            for i in together.indices {
                if tokens[i] != nil { togetherLogits[i].append(together[i].currentLogits) }
                if try alone[i].step() != nil { aloneLogits[i].append(alone[i].currentLogits) }
            }
        }
        for i in alone.indices {
            #expect(together[i].tokens == alone[i].tokens, "session \(i)")
            #expect(togetherLogits[i] == aloneLogits[i], "session \(i): logits bit for bit")
        }
        guard name == weights else { return }
        #expect(together[0].tokens == (try expected.tensor("greedy_ids").integers))
        #expect(together[1].tokens == (try expected.tensor("pdrop_greedy").integers))
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
