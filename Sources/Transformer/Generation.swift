import Foundation
import PyramidDrop
import Tensors

/// Options of one generation.
public struct GenerationOptions: Sendable {
    /// Upper bound on generated tokens.
    public var maxNewTokens: Int
    /// Generation stops after producing any of these (the stop token is included in the output).
    public var stopTokenIDs: Set<Int>
    /// How tokens are chosen.
    public var sampler: Sampler
    /// Only ids below this are eligible (masks e.g. llava-hf's padded vocabulary rows); `nil` for all.
    public var eligibleVocabulary: Int?

    public init(maxNewTokens: Int, stopTokenIDs: Set<Int>, sampler: Sampler = Sampler(), eligibleVocabulary: Int? = nil) {
        self.maxNewTokens = maxNewTokens
        self.stopTokenIDs = stopTokenIDs
        self.sampler = sampler
        self.eligibleVocabulary = eligibleVocabulary
    }
}

/// What a generation produced.
public struct GenerationResult: Sendable {
    /// Logits at the last prompt position, `[vocab]`.
    public let prefillLogits: [Float]
    /// Generated ids (ending with the stop token if one was produced).
    public let tokens: [Int]
    /// Which image tokens survived where.
    public let trace: DropTrace
    /// Wall-clock seconds of the prefill and of all decode steps.
    public let prefillSeconds: Double
    public let decodeSeconds: Double
}

/// The decode loop: prefill through a `PyramidWrapper`, then one token per step with the
/// per-layer KV caches.
public struct Generator {
    public let model: LlamaModel
    public let wrapper: PyramidWrapper

    public init(model: LlamaModel, wrapper: PyramidWrapper) {
        self.model = model
        self.wrapper = wrapper
    }

    /// Generates from a prompt state (embeddings with image features already in place).
    /// `onToken` sees each new id; returning `false` stops early.
    public func generate(prompt: TokenState, options: GenerationOptions,
                         onToken: (Int) -> Bool = { _ in true }) throws -> GenerationResult {
        var sampler = options.sampler
        var caches = wrapper.makeCaches()
        let start = Date()
        let (state, trace) = wrapper.prefill(prompt, caches: &caches)
        var logits = model.logits(state.hidden.gatherRows([state.count - 1])).floats
        let prefillLogits = logits
        let prefillSeconds = Date().timeIntervalSince(start)
        var tokens: [Int] = []
        let decodeStart = Date()
        while tokens.count < options.maxNewTokens {
            let next = sampler.sample(logits, limit: options.eligibleVocabulary)
            tokens.append(next)
            guard onToken(next), !options.stopTokenIDs.contains(next), tokens.count < options.maxNewTokens else { break }
            let hidden = wrapper.decode(try model.embed([next]), caches: &caches)
            logits = model.logits(hidden).floats
        }
        return GenerationResult(prefillLogits: prefillLogits, tokens: tokens, trace: trace, prefillSeconds: prefillSeconds,
                                decodeSeconds: Date().timeIntervalSince(decodeStart))
    }
}
