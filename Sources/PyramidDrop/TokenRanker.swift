import Tensors

/// Which layer's attention scores the image tokens at a boundary `b`.
public enum ScoringLayer: Sendable {
    /// Layer `b` itself, on the state it is about to receive (PyramidDrop).
    case next
    /// Layer `b − 1`, on the state it received — the attention map it actually used (FastV).
    case previous
}

/// How tokens are numbered for RoPE after a drop.
public enum PositionMode: Sendable {
    /// Renumber the kept tokens 0..<L' (PyramidDrop).
    case compact
    /// Keep each token's original position, leaving gaps (FastV).
    case original
}

/// A policy that chooses which image tokens survive a stage boundary.
public protocol TokenRanker {
    /// Which layer's attention the ranker reads.
    var scoringLayer: ScoringLayer { get }
    /// How positions are numbered after this ranker's drops (its reference behaviour by default).
    var positionMode: PositionMode { get }
    /// The rows of `state` holding image tokens to keep — exactly `budget` of them (or all image
    /// rows if there are fewer), in increasing order. `layer` is the scoring layer; `stage` is the
    /// 0-based boundary index. Text rows are never dropped and must not be returned.
    func keep(_ state: TokenState, layer: any DecoderLayer, budget: Int, stage: Int) -> [Int]
}

/// Ranks image tokens by the attention the last prompt token pays them in the scoring layer:
/// softmax over all tokens, mean over heads, image columns; keeps the top `budget`, sorted back
/// into original order. Ties go to the earlier token.
public struct AttentionRanker: TokenRanker {
    public let scoringLayer: ScoringLayer
    public let positionMode: PositionMode

    public init(scoringLayer: ScoringLayer, positionMode: PositionMode) {
        self.scoringLayer = scoringLayer
        self.positionMode = positionMode
    }

    /// PyramidDrop's reference ranker: layer `b`'s own Q/K, positions renumbered after each drop.
    public static func pyramidDrop(positionMode: PositionMode = .compact) -> AttentionRanker {
        AttentionRanker(scoringLayer: .next, positionMode: positionMode)
    }

    /// FastV's ranker: layer `K − 1`'s attention map, original positions kept.
    public static func fastV(positionMode: PositionMode = .original) -> AttentionRanker {
        AttentionRanker(scoringLayer: .previous, positionMode: positionMode)
    }

    public func keep(_ state: TokenState, layer: any DecoderLayer, budget: Int, stage: Int) -> [Int] {
        let imageRows = state.imageRows
        guard budget < imageRows.count else { return imageRows }
        let scores = layer.attention(of: [state.count - 1], in: state).floats
        return topRows(imageRows, scores: imageRows.map { scores[$0] }, count: budget)
    }
}

/// Keeps a seeded uniformly random subset of the image tokens (an ablation baseline).
public struct RandomRanker: TokenRanker {
    public let seed: UInt64
    public let scoringLayer = ScoringLayer.next
    public let positionMode: PositionMode

    public init(seed: UInt64, positionMode: PositionMode = .compact) {
        self.seed = seed
        self.positionMode = positionMode
    }

    public func keep(_ state: TokenState, layer: any DecoderLayer, budget: Int, stage: Int) -> [Int] {
        var generator = SplitMix64(seed: seed &+ UInt64(stage))
        var rows = state.imageRows
        guard budget < rows.count else { return rows }
        rows.shuffle(using: &generator)
        return rows.prefix(budget).sorted()
    }
}

/// Keeps every token: with it (or an empty schedule) the wrapper is exactly the plain model.
public struct KeepAllRanker: TokenRanker {
    public let scoringLayer = ScoringLayer.next
    public let positionMode = PositionMode.compact
    public init() {}
    public func keep(_ state: TokenState, layer: any DecoderLayer, budget: Int, stage: Int) -> [Int] { state.imageRows }
}

/// The `count` rows with the highest scores (ties to the earlier row), in increasing row order.
func topRows(_ rows: [Int], scores: [Float], count: Int) -> [Int] {
    let order = rows.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
    return order.prefix(count).map { rows[$0] }.sorted()
}
