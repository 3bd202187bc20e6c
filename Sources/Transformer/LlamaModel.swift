import Foundation
import PyramidDrop
import Tensors
import WeightIO

/// A LLaMA-family causal language model (LLaMA, Mistral, Qwen2): token embeddings, decoder
/// layers, final RMSNorm and the LM head (untied, or tied to the embeddings).
public struct LlamaModel: Sendable {
    /// Checkpoint names of the model's tensors (the adapters supply these per layout).
    public struct WeightNames: Sendable {
        public var embedTokens: String
        /// Layer `i`'s tensors are named `\(layerPrefix).\(i).…`.
        public var layerPrefix: String
        public var norm: String
        public var lmHead: String

        /// `\(prefix)model.embed_tokens.weight`, `\(prefix)model.layers`, `\(prefix)model.norm.weight`,
        /// `\(prefix)lm_head.weight` — the Hugging Face `LlamaForCausalLM` names under a prefix.
        public static func causalLM(prefix: String = "") -> WeightNames {
            WeightNames(embedTokens: "\(prefix)model.embed_tokens.weight", layerPrefix: "\(prefix)model.layers",
                        norm: "\(prefix)model.norm.weight", lmHead: "\(prefix)lm_head.weight")
        }

        public init(embedTokens: String, layerPrefix: String, norm: String, lmHead: String) {
            self.embedTokens = embedTokens
            self.layerPrefix = layerPrefix
            self.norm = norm
            self.lmHead = lmHead
        }
    }

    public let config: LlamaConfig
    public let embedTokens: Tensor          // [vocab, d]
    public let layers: [LlamaDecoderLayer]
    public let norm: Tensor                 // [d]
    /// `[vocab, d]`; when tied, the same storage as `embedTokens`.
    public let lmHead: Tensor

    /// A model from its parts.
    /// A model over these tensors. A Q8_0 or Q4_0 embedding table and head are held in their GEMV
    /// layout (`Tensor.interleavedForGEMV`; a tied head stays the table's own storage).
    public init(config: LlamaConfig, embedTokens: Tensor, layers: [LlamaDecoderLayer], norm: Tensor, lmHead: Tensor) {
        let tied = lmHead.rawBytes.baseAddress == embedTokens.rawBytes.baseAddress
        self.config = config
        self.embedTokens = embedTokens.interleavedForGEMV()
        self.layers = layers
        self.norm = norm
        self.lmHead = tied ? self.embedTokens : lmHead.interleavedForGEMV()
    }

    /// Loads every tensor by name, checking shapes. The embedding table fixes the vocabulary
    /// size (llava-hf pads it beyond `vocab_size`); the head must match it. `compute` chooses
    /// the layers' path from their stored dtype (the head is only ever a GEMV over the last
    /// row, so it reads its weight as stored). With `tieWordEmbeddings` the head is the
    /// embedding table, unless the store holds a different `lm_head` (transformers then keeps
    /// it untied); a stored copy equal to the table is not loaded twice.
    public init(_ store: WeightStore, config: LlamaConfig, names: WeightNames = .causalLM(), compute: ComputeMode = .auto) throws {
        let d = config.hiddenSize
        let vocabulary = store.info(names.embedTokens)?.shape.first ?? config.vocabularySize
        embedTokens = try store.tensor(names.embedTokens, shape: [vocabulary, d])
        layers = try (0..<config.layerCount).map {
            try LlamaDecoderLayer(store, prefix: "\(names.layerPrefix).\($0)", config: config, compute: compute)
        }
        norm = try store.tensor(names.norm, shape: [d])
        lmHead = try Self.head(store, named: names.lmHead, shape: [vocabulary, d], tiedTo: config.tieWordEmbeddings ? embedTokens : nil)
        self.config = config
    }

    /// The head `name` of `store` (`shape`), or `embeddings` (when tied) if the store has no
    /// such tensor or one with the same bytes (whose mapped pages are then released).
    private static func head(_ store: WeightStore, named name: String, shape: [Int], tiedTo embeddings: Tensor?) throws -> Tensor {
        if let embeddings, !store.contains(name) { return embeddings }
        let stored = try store.tensor(name, shape: shape)
        guard let embeddings, stored.dtype == embeddings.dtype,
              memcmp(stored.rawBytes.baseAddress!, embeddings.rawBytes.baseAddress!, stored.rawBytes.count) == 0 else { return stored }
        store.release(name)
        return embeddings
    }

    /// Rows of the embedding table (vocabulary size).
    public var vocabularySize: Int { embedTokens.shape[0] }

    /// Embeddings of `ids`, `[ids.count, d]`.
    public func embed(_ ids: [Int]) throws -> Tensor {
        if let bad = ids.first(where: { $0 < 0 || $0 >= vocabularySize }) {
            throw TransformerError.tokenOutOfRange(id: bad, vocabularySize: vocabularySize)
        }
        let d = config.hiddenSize
        var out = Tensor(zeros: [ids.count, d])
        out.withMutableFloats { dst in
            for (i, id) in ids.enumerated() { embedTokens.dequantizeRows(id..<id + 1, into: dst.baseAddress! + i * d) }
        }
        return out
    }

    /// Logits for every position of `ids` from a plain run of the layers (no wrapper, no drops).
    public func forward(_ ids: [Int]) throws -> Tensor {
        var state = TokenState(hidden: try embed(ids), isImage: Array(repeating: false, count: ids.count))
        for layer in layers {
            var cache: any KVStore = F32KVStore()
            layer.forward(&state, cache: &cache)
        }
        return logits(state.hidden)
    }
}

extension LlamaModel: LanguageModel {
    public var shape: DecoderShape { config.decoderShape }

    public var decoderLayers: [any DecoderLayer] { layers }

    public func finalNorm(_ hidden: Tensor) -> Tensor {
        Normalization.rmsNorm(hidden, weight: norm, eps: config.rmsNormEps)
    }

    public func head(_ normalized: Tensor) -> Tensor {
        GEMM.linear(normalized, weight: lmHead)
    }

    /// The head read once for all rows (`GEMM.rowwiseLinear`), each row as `logits` of it alone.
    public func decodeLogits(_ hidden: Tensor) -> Tensor {
        GEMM.rowwiseLinear(finalNorm(hidden), weight: lmHead)
    }
}
