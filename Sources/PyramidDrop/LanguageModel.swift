import Tensors

/// The size facts of a decoder that FLOPs counts, benches and KV stores need.
public struct DecoderShape: Sendable, Equatable {
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDim: Int

    public init(hiddenSize: Int, intermediateSize: Int, layerCount: Int, headCount: Int, kvHeadCount: Int, headDim: Int) {
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.headDim = headDim
    }

    /// The paper's FLOPs model for this shape.
    public var flops: FLOPsModel {
        FLOPsModel(hiddenSize: hiddenSize, intermediateSize: intermediateSize,
                   queryWidth: headCount * headDim, keyValueWidth: kvHeadCount * headDim)
    }
}

/// A causal language model as the wrapper and the generation loop see it: token embeddings, the
/// decoder layers, the final norm and the LM head. Any model family conforms (LLaMA, Mistral, …).
public protocol LanguageModel: Sendable {
    /// The decoder's sizes.
    var shape: DecoderShape { get }
    /// Rows of the embedding table (ids are valid below this).
    var vocabularySize: Int { get }
    /// The decoder layers, in order.
    var decoderLayers: [any DecoderLayer] { get }
    /// Embeddings of `ids`, `[ids.count, hiddenSize]`; throws for an id outside the vocabulary.
    func embed(_ ids: [Int]) throws -> Tensor
    /// The final norm of hidden states `[rows, hiddenSize]`.
    func finalNorm(_ hidden: Tensor) -> Tensor
    /// The LM head: logits `[rows, vocabularySize]` of normalised hidden states.
    func head(_ normalized: Tensor) -> Tensor
    /// Logits of several sequences' newest tokens (`[rows, hiddenSize]` final hidden states), each
    /// row exactly as `logits` of that row alone. The default computes them row by row.
    func decodeLogits(_ hidden: Tensor) -> Tensor
}

extension LanguageModel {
    /// Logits `[rows, vocab]` of final hidden states: `head(finalNorm(hidden))`.
    public func logits(_ hidden: Tensor) -> Tensor { head(finalNorm(hidden)) }

    public func decodeLogits(_ hidden: Tensor) -> Tensor {
        Tensor(concatenatingRows: (0..<hidden.shape[0]).map { logits(hidden.gatherRows([$0])) }, width: vocabularySize)
    }
}
