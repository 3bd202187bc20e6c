import Tensors

/// What a token policy asks a layer for at one of its hooks.
public struct LayerNeeds: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// The mean-over-heads softmax attention of the last token over all tokens.
    public static let lastTokenAttention = LayerNeeds(rawValue: 1)
    /// The keys (after RoPE) of every token.
    public static let keys = LayerNeeds(rawValue: 2)
    /// The layer's output passed through the model's final norm (after-layer hooks only; DART).
    public static let finalNormedOutput = LayerNeeds(rawValue: 4)
}

/// What a layer computed that a policy ranks with, as asked by `LayerNeeds`; rows are the rows of
/// the state the layer ran on.
public struct LayerEvidence: Sendable {
    /// Mean-over-heads attention of the last row over all rows, `[rows]`.
    public var lastTokenAttention: [Float]?
    /// Keys of every row, `[rows, kvHeads · headDim]`.
    public var keys: Tensor?
    /// The layer's output rows through the model's final norm, `[rows, hiddenSize]`.
    public var finalNormedOutput: Tensor?

    public init(lastTokenAttention: [Float]? = nil, keys: Tensor? = nil, finalNormedOutput: Tensor? = nil) {
        self.lastTokenAttention = lastTokenAttention
        self.keys = keys
        self.finalNormedOutput = finalNormedOutput
    }
}
