import Foundation
import PyramidDrop
import Tensors

/// One sequence being generated, a token per `step()`: the prefill (and the token policy) runs at
/// creation, then each step runs the previous token through the decoder and samples the next.
/// Sessions read the model and own their caches and sampler, so a server can interleave the
/// steps of several requests (round-robin decode) and drop one at any step (`finish()`).
public struct GenerationSession: Sendable {
    public let generator: Generator
    public let options: GenerationOptions
    /// Logits at the last prompt position, `[vocab]`.
    public let prefillLogits: [Float]
    /// Which image tokens survived where.
    public let trace: DropTrace
    public let prefillSeconds: Double
    /// Generated ids so far (ending with the stop token if one was produced).
    public private(set) var tokens: [Int] = []
    /// Seconds spent in `step()`.
    public private(set) var decodeSeconds: Double = 0
    /// True once a stop token or the token limit was reached, or `finish()` was called.
    public private(set) var isFinished: Bool

    private var sampler: Sampler
    private var caches: SequenceCaches
    private var logits: [Float]

    /// Prefills `prompt`. `betweenLayers` runs after each prefill layer (a server yields or checks
    /// for a cancelled request there; what it throws aborts the prefill).
    public init(generator: Generator, prompt: TokenState, options: GenerationOptions,
                betweenLayers: () throws -> Void = {}) throws {
        self.generator = generator
        self.options = options
        sampler = options.sampler
        caches = generator.wrapper.makeCaches(generator.makeStore)
        let start = Date()
        let (state, trace) = try generator.wrapper.prefill(prompt, caches: &caches, betweenLayers: betweenLayers)
        logits = generator.model.logits(state.hidden.gatherRows([state.count - 1])).floats
        prefillLogits = logits
        self.trace = trace
        prefillSeconds = Date().timeIntervalSince(start)
        isFinished = options.maxNewTokens <= 0
    }

    /// The next token, or nil once finished. The previous token goes through the decoder first,
    /// so a session finished after a token never computes past it.
    public mutating func step() throws -> Int? {
        guard !isFinished else { return nil }
        let start = Date()
        defer { decodeSeconds += Date().timeIntervalSince(start) }
        if let last = tokens.last {
            let hidden = generator.wrapper.decode(try generator.model.embed([last]), caches: &caches)
            logits = generator.model.logits(hidden).floats
        }
        return sample()
    }

    /// `step()` of every session at once, each result as its own `step()` would give it (`nil` for
    /// a finished session). The sessions must run over one model (a server's do; their policies
    /// may differ): their decode goes through the layers together (`PyramidWrapper.decodeStep`),
    /// each weight read once for all of them.
    public static func step(_ sessions: inout [GenerationSession]) throws -> [Int?] {
        var next = [Int?](repeating: nil, count: sessions.count)
        // Sessions whose previous token must go through the decoder; one alone takes `step()`.
        var together = sessions.indices.filter { !sessions[$0].isFinished && !sessions[$0].tokens.isEmpty }
        if together.count < 2 { together = [] }
        if !together.isEmpty {
            let model = sessions[together[0]].generator.model
            precondition(together.allSatisfy { sessions[$0].generator.model.shape == model.shape }, "GenerationSession.step: sessions over different models")
            let start = Date()
            let hidden = try model.embed(together.map { sessions[$0].tokens.last! })
            var caches = together.map { sessions[$0].caches }
            for i in together { sessions[i].caches = SequenceCaches(layerCount: 0) }   // moved out, not copied
            let out = PyramidWrapper.decodeStep(hidden, wrappers: together.map { sessions[$0].generator.wrapper }, caches: &caches)
            let logits = model.decodeLogits(out)
            let vocabulary = logits.shape[1], seconds = Date().timeIntervalSince(start) / Double(together.count)
            logits.withFloats { all in
                for (row, i) in together.enumerated() {
                    sessions[i].caches = caches[row]
                    sessions[i].logits = Array(all[(row * vocabulary)..<((row + 1) * vocabulary)])
                    sessions[i].decodeSeconds += seconds
                }
            }
            for i in together { next[i] = sessions[i].sample() }
        }
        let batched = Set(together)
        for i in sessions.indices where !batched.contains(i) { next[i] = try sessions[i].step() }
        return next
    }

    /// Samples the next token from `logits` and records it.
    private mutating func sample() -> Int {
        let next = sampler.sample(logits, limit: options.eligibleVocabulary)
        tokens.append(next)
        if options.stopTokenIDs.contains(next) || tokens.count >= options.maxNewTokens { isFinished = true }
        return next
    }

    /// The logits the next token is sampled from (the prefill's, then each decode step's).
    public var currentLogits: [Float] { logits }

    /// Stops the generation: `step()` returns nil from now on.
    public mutating func finish() { isFinished = true }

    /// What was generated, as `Generator.generate` returns it.
    public var result: GenerationResult {
        GenerationResult(prefillLogits: prefillLogits, tokens: tokens, trace: trace, prefillSeconds: prefillSeconds,
                         decodeSeconds: decodeSeconds)
    }
}
