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

/// The decode loop of any `LanguageModel`: prefill through a `PyramidWrapper` (which runs the
/// token policy), then one token per step with the per-layer KV stores.
public struct Generator: Sendable {
    public let model: any LanguageModel
    public let wrapper: PyramidWrapper
    /// Makes each layer's KV store (f32 by default; `BF16KVStore` halves KV memory).
    public let makeStore: @Sendable () -> any KVStore

    /// A generator for `model` driven by `wrapper` (built over the model's layers).
    public init(model: any LanguageModel, wrapper: PyramidWrapper, makeStore: @escaping @Sendable () -> any KVStore = { F32KVStore() }) {
        self.model = model
        self.wrapper = wrapper
        self.makeStore = makeStore
    }

    /// A generator for `model` with `policy`; throws if the policy does not fit the model.
    public init(model: any LanguageModel, policy: any TokenPolicy = KeepAllPolicy(),
                makeStore: @escaping @Sendable () -> any KVStore = { F32KVStore() }) throws {
        self.init(model: model, wrapper: try PyramidWrapper(model: model, policy: policy), makeStore: makeStore)
    }

    /// Generates from a prompt state (embeddings with image features already in place).
    /// `onToken` sees each new id; returning `false` stops early.
    public func generate(prompt: TokenState, options: GenerationOptions,
                         onToken: (Int) -> Bool = { _ in true }) throws -> GenerationResult {
        var session = try GenerationSession(generator: self, prompt: prompt, options: options)
        while let next = try session.step() {
            if !onToken(next) { session.finish() }
        }
        return session.result
    }
}
