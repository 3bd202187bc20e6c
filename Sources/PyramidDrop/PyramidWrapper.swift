import Tensors

/// The per-layer KV caches of one sequence, plus what decode steps need to place new tokens.
public struct SequenceCaches: Sendable {
    /// One cache per layer; after drops, later layers hold fewer tokens.
    public var layers: [LayerCache]
    /// Position of the next token in `.original` mode (last prompt position + 1 + steps so far).
    public fileprivate(set) var nextOriginalPosition = 0
    /// Index of the next token in the whole sequence (prompt + generated).
    public fileprivate(set) var nextTokenIndex = 0

    public init(layerCount: Int) {
        layers = Array(repeating: LayerCache(), count: layerCount)
    }
}

/// Drives a model's decoder layers and inserts rank-and-drop hooks at the schedule's boundaries.
///
/// At boundary `b` the ranker scores the image tokens (with layer `b`'s or layer `b − 1`'s
/// attention), the state is compacted to the text tokens plus the kept image tokens, and layers
/// `b...` — and their KV caches — only ever see the kept tokens. Drops happen only in the prefill;
/// decode steps never re-rank. With an empty schedule, or budgets that keep every token, the
/// wrapper computes exactly what the plain layer stack computes.
public struct PyramidWrapper {
    /// The model's decoder layers, in order.
    public let layers: [any DecoderLayer]
    /// Where to drop and how many to keep.
    public let schedule: DropSchedule
    /// Which tokens to keep.
    public let ranker: any TokenRanker

    /// Wraps `layers`; throws if the schedule does not fit the layer count.
    public init(layers: [any DecoderLayer], schedule: DropSchedule, ranker: any TokenRanker) throws {
        try schedule.validate(layerCount: layers.count)
        self.layers = layers
        self.schedule = schedule
        self.ranker = ranker
    }

    /// Fresh caches for one sequence.
    public func makeCaches() -> SequenceCaches { SequenceCaches(layerCount: layers.count) }

    /// Runs the prompt through every layer, dropping image tokens at the boundaries. Returns the
    /// final state (the last row is the last prompt token) and the trace. `caches` must be fresh.
    public func prefill(_ input: TokenState, caches: inout SequenceCaches) -> (state: TokenState, trace: DropTrace) {
        precondition(caches.layers.count == layers.count && caches.layers.allSatisfy { $0.count == 0 },
                     "prefill needs fresh caches for \(layers.count) layers")
        let imageTokens = input.imageCount
        var trace = DropTrace(imageTokens: imageTokens, imageTokenStart: input.origins.first(where: \.isImage)?.promptIndex)
        var state = input
        var previousInput: TokenState?
        var stage = 0
        for (index, layer) in layers.enumerated() {
            if stage < schedule.boundaries.count && schedule.boundaries[stage] == index {
                let budget = schedule.keepCount(stage: stage, imageTokens: imageTokens)
                if budget < state.imageCount {
                    let (scoringState, scoringLayer) = ranker.scoringLayer == .next
                        ? (state, layer) : (previousInput!, layers[index - 1])
                    let keptImage = Set(ranker.keep(scoringState, layer: scoringLayer, budget: budget, stage: stage))
                    let rows = state.origins.indices.filter { !state.origins[$0].isImage || keptImage.contains($0) }
                    state = state.keeping(rows: rows, renumber: ranker.positionMode == .compact)
                }
                trace.stages.append(.init(layer: index, kept: state.origins.compactMap(\.imageIndex)))
                stage += 1
            }
            if ranker.scoringLayer == .previous, stage < schedule.boundaries.count, schedule.boundaries[stage] == index + 1 {
                previousInput = state
            }
            trace.tokensPerLayer.append(state.count)
            trace.imageTokensPerLayer.append(state.imageCount)
            layer.forward(&state, cache: &caches.layers[index])
        }
        caches.nextOriginalPosition = (input.positions.max() ?? -1) + 1
        caches.nextTokenIndex = input.count
        return (state, trace)
    }

    /// Runs one new token (hidden `[1, hiddenSize]`) through every layer, appending it to each
    /// layer's cache. Its position in each layer is that layer's next position: the cache length in
    /// `.compact` mode, or last prompt position + 1 + step in `.original` mode.
    public func decode(_ hidden: Tensor, caches: inout SequenceCaches) -> Tensor {
        precondition(hidden.rank == 2 && hidden.shape[0] == 1, "decode takes one token, got \(hidden.shape)")
        let origin = TokenOrigin(promptIndex: caches.nextTokenIndex, imageIndex: nil)
        var state = TokenState(hidden: hidden, positions: [0], origins: [origin])
        for (index, layer) in layers.enumerated() {
            state.positions[0] = ranker.positionMode == .compact ? caches.layers[index].count : caches.nextOriginalPosition
            layer.forward(&state, cache: &caches.layers[index])
        }
        caches.nextOriginalPosition += 1
        caches.nextTokenIndex += 1
        return state.hidden
    }
}
