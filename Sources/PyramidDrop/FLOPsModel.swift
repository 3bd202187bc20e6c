/// FLOPs of a decoder stack, counted as the PyramidDrop paper does (multiply-adds of the
/// projections, attention and FFN), so reports compare with its tables.
public struct FLOPsModel: Sendable {
    /// Hidden size d.
    public let hiddenSize: Int
    /// FFN intermediate size m.
    public let intermediateSize: Int
    /// Width of the query projection (heads × head dim; d for LLaMA).
    public let queryWidth: Int
    /// Width of the key/value projections (KV heads × head dim; smaller than d with GQA).
    public let keyValueWidth: Int

    public init(hiddenSize: Int, intermediateSize: Int, queryWidth: Int? = nil, keyValueWidth: Int? = nil) {
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.queryWidth = queryWidth ?? hiddenSize
        self.keyValueWidth = keyValueWidth ?? hiddenSize
    }

    /// The paper's per-layer figure for n tokens: `4·n·d² + 2·n²·d + 3·n·d·m` (with GQA the K/V
    /// projections are counted at their real width: `n·d·(2·q + 2·kv)`).
    public func layerFLOPs(tokens n: Int) -> Double {
        let n = Double(n), d = Double(hiddenSize), m = Double(intermediateSize)
        let q = Double(queryWidth), kv = Double(keyValueWidth)
        return n * d * (2 * q + 2 * kv) + 2 * n * n * q + 3 * n * d * m
    }

    /// Sum of `layerFLOPs` over layers, given the tokens each layer runs on.
    public func totalFLOPs(tokensPerLayer: [Int]) -> Double {
        tokensPerLayer.reduce(0) { $0 + layerFLOPs(tokens: $1) }
    }

    /// The paper's figure: image tokens only, summed over `layerCount` layers under `schedule`.
    public func paperFLOPs(schedule: DropSchedule, layerCount: Int, imageTokens: Int) -> Double {
        totalFLOPs(tokensPerLayer: schedule.imageTokensPerLayer(layerCount: layerCount, imageTokens: imageTokens))
    }

    /// The whole prompt (text and image tokens, attention included) under `schedule`.
    public func wholePromptFLOPs(schedule: DropSchedule, layerCount: Int, imageTokens: Int, textTokens: Int) -> Double {
        totalFLOPs(tokensPerLayer: schedule.imageTokensPerLayer(layerCount: layerCount, imageTokens: imageTokens).map { $0 + textTokens })
    }
}
