import Tensors

/// Drives a model's decoder layers and runs a token policy's hooks between them.
///
/// At each hook the policy chooses the image tokens to keep (from the layer's own Q/K before it
/// runs, or from what a layer computed after it ran); the state is compacted to the text tokens
/// plus the kept image tokens, and the layers after it — and their KV caches — only ever see the
/// kept tokens. Drops happen only in the prefill; decode steps never re-rank. With no hooks, or
/// hooks that keep every token, the wrapper computes exactly what the plain layer stack computes.
public struct PyramidWrapper: Sendable {
    /// The model's decoder layers, in order.
    public let layers: [any DecoderLayer]
    /// Which tokens to keep, and where.
    public let policy: any TokenPolicy
    /// The policy's hooks for this model, validated.
    public let hooks: [LayerHook]
    /// The model's final norm, for hooks that ask for `LayerNeeds.finalNormedOutput`.
    public let finalNorm: (@Sendable (Tensor) -> Tensor)?

    /// Wraps `layers`; throws if the policy's hooks do not fit the layer count, or one asks for
    /// the final-normed output and `finalNorm` is nil.
    public init(layers: [any DecoderLayer], policy: any TokenPolicy, finalNorm: (@Sendable (Tensor) -> Tensor)? = nil) throws {
        let hooks = try policy.layerHooks(layerCount: layers.count)
        var previous = 0
        for hook in hooks {
            guard hook.firstKeptLayer > previous, hook.firstKeptLayer < layers.count else {
                throw PyramidDropError.boundaryOutOfRange(boundary: hook.firstKeptLayer, layerCount: layers.count)
            }
            if hook.needs.contains(.finalNormedOutput) && (finalNorm == nil || hook.timing != .afterLayer) {
                throw PyramidDropError.missingEvidence(policy: policy.name, what: "the final-normed output of layer \(hook.layer)")
            }
            previous = hook.firstKeptLayer
        }
        self.layers = layers
        self.policy = policy
        self.hooks = hooks
        self.finalNorm = finalNorm
    }

    /// Wraps a language model's layers (with its final norm).
    public init(model: any LanguageModel, policy: any TokenPolicy) throws {
        try self.init(layers: model.decoderLayers, policy: policy, finalNorm: { model.finalNorm($0) })
    }

    /// Fresh caches for one sequence, each layer's store made by `makeStore`.
    public func makeCaches(_ makeStore: () -> any KVStore = { F32KVStore() }) -> SequenceCaches {
        SequenceCaches(layerCount: layers.count, makeStore: makeStore)
    }

    /// Runs the prompt through every layer, running the policy's hooks. Returns the final state
    /// (the last row is the last prompt token) and the trace. `caches` must be empty. Throws what
    /// the policy throws at a hook.
    /// `betweenLayers` runs after each layer (a server yields there or stops a cancelled request by
    /// throwing).
    public func prefill(_ input: TokenState, caches: inout SequenceCaches,
                        betweenLayers: () throws -> Void = {}) throws -> (state: TokenState, trace: DropTrace) {
        precondition(caches.layers.count == layers.count && caches.layers.allSatisfy { $0.count == 0 },
                     "prefill needs empty caches for \(layers.count) layers")
        let imageTokens = input.imageCount, imageTokensByImage = input.imageCountsByImage
        var trace = DropTrace(imageTokens: input.originalImageCount,
                              imageTokenStart: input.origins.first(where: \.isImage)?.promptIndex)
        if imageTokens < input.originalImageCount {
            trace.stages.append(.init(layer: 0, kept: input.origins.compactMap(\.imageIndex), count: imageTokens, merged: input.mergedImageTokens))
        }
        var state = input
        var stage = 0
        func apply(_ hook: LayerHook, _ evidence: LayerEvidence) throws {
            var evidence = evidence
            if hook.needs.contains(.finalNormedOutput), let finalNorm { evidence.finalNormedOutput = finalNorm(state.hidden) }
            let context = HookContext(stage: stage, imageTokens: imageTokens, evidence: evidence, imageTokensByImage: imageTokensByImage)
            let kept = Set(try policy.keep(state, at: hook, context: context))
            let rows = state.origins.indices.filter { !state.origins[$0].isImage || kept.contains($0) }
            if rows.count < state.count { state = state.keeping(rows: rows, renumber: policy.positionMode == .compact) }
            trace.stages.append(.init(layer: hook.firstKeptLayer, kept: state.origins.compactMap(\.imageIndex), count: state.imageCount))
            stage += 1
        }
        for (index, layer) in layers.enumerated() {
            if stage < hooks.count, hooks[stage].timing == .beforeLayer, hooks[stage].layer == index {
                let hook = hooks[stage]
                var evidence = LayerEvidence()
                if hook.needs.contains(.lastTokenAttention) {
                    evidence.lastTokenAttention = layer.lastTokenAttention(in: state)
                }
                try apply(hook, evidence)
            }
            trace.tokensPerLayer.append(state.count)
            trace.imageTokensPerLayer.append(state.imageCount)
            if stage < hooks.count, hooks[stage].timing == .afterLayer, hooks[stage].layer == index {
                let hook = hooks[stage]
                try apply(hook, layer.forward(&state, cache: &caches.layers[index], observing: hook.needs))
            } else {
                layer.forward(&state, cache: &caches.layers[index])
            }
            try betweenLayers()
        }
        caches.nextOriginalPosition = (input.positions.max() ?? -1) + 1
        caches.nextTokenIndex = input.count
        return (state, trace)
    }

    /// The position of a sequence's next token in layer `layer`: the cache length in `.compact`
    /// mode, last prompt position + 1 + steps so far in `.original` mode.
    func nextPosition(in layer: Int, caches: SequenceCaches) -> Int {
        policy.positionMode == .compact ? caches.layers[layer].count : caches.nextOriginalPosition
    }

    /// One decode step of several sequences over the same layers: row `i` of `hidden` is sequence
    /// `i`'s new token, driven by `wrappers[i]` (its policy's position mode) with `caches[i]`. Each
    /// row comes out as `wrappers[i].decode` of it alone gives it; the layers may read their
    /// weights once for all rows (`DecoderLayer.decodeStep`).
    public static func decodeStep(_ hidden: Tensor, wrappers: [PyramidWrapper], caches: inout [SequenceCaches]) -> Tensor {
        precondition(hidden.rank == 2 && hidden.shape[0] == wrappers.count && wrappers.count == caches.count && !wrappers.isEmpty,
                     "decodeStep: \(hidden.shape) for \(wrappers.count) wrappers and \(caches.count) caches")
        let layers = wrappers[0].layers
        let origins = caches.map { TokenOrigin(promptIndex: $0.nextTokenIndex, imageIndex: nil) }
        var state = TokenState(hidden: hidden, positions: Array(repeating: 0, count: caches.count), origins: origins)
        for (index, layer) in layers.enumerated() {
            var stores: [any KVStore] = []
            for i in caches.indices {
                state.positions[i] = wrappers[i].nextPosition(in: index, caches: caches[i])
                // Moved out, not copied, so that appending does not copy the cache.
                stores.append(caches[i].layers[index])
                caches[i].layers[index] = F32KVStore()
            }
            layer.decodeStep(&state, caches: &stores)
            for i in caches.indices { caches[i].layers[index] = stores[i] }
        }
        for i in caches.indices {
            caches[i].nextOriginalPosition += 1
            caches[i].nextTokenIndex += 1
        }
        return state.hidden
    }

    /// Runs one new token (hidden `[1, hiddenSize]`) through every layer, appending it to each
    /// layer's cache. Its position in each layer is that layer's next position: the cache length in
    /// `.compact` mode, or last prompt position + 1 + step in `.original` mode.
    public func decode(_ hidden: Tensor, caches: inout SequenceCaches) -> Tensor {
        precondition(hidden.rank == 2 && hidden.shape[0] == 1, "decode takes one token, got \(hidden.shape)")
        let origin = TokenOrigin(promptIndex: caches.nextTokenIndex, imageIndex: nil)
        var state = TokenState(hidden: hidden, positions: [0], origins: [origin])
        for (index, layer) in layers.enumerated() {
            state.positions[0] = nextPosition(in: index, caches: caches)
            layer.forward(&state, cache: &caches.layers[index])
        }
        caches.nextOriginalPosition += 1
        caches.nextTokenIndex += 1
        return state.hidden
    }
}
