import Tensors
import Transformer

/// A language model with deterministic random weights, made in memory (nothing touches disk), stored
/// as `dtype`: each weight gets its own seed, so every layer holds distinct data as a real model does.
/// The projections have the biases `config` declares (Qwen2: q, k and v), in f32; with
/// `tieWordEmbeddings` the LM head is the embedding table itself (no second `[vocab, d]` matrix).
/// The layers compute on `compute` (`.bf16` needs `dtype` BF16, Q8_0 or Q4_0); the embedding
/// table and an untied head are stored as `dtype` too.
enum SyntheticModel {
    static func make(config: LlamaConfig, dtype: DType, compute: ComputePath = .f32) -> LlamaModel {
        var weights = SyntheticWeights()
        func linear(_ rows: Int, _ columns: Int, bias: Bool) -> Linear {
            let weight = weights.matrix(rows, columns, dtype: dtype)
            return Linear(weight: weight, bias: bias ? weights.uniform([rows], scale: 0.02) : nil, compute: compute)
        }
        let d = config.hiddenSize, m = config.intermediateSize
        let q = config.headCount * config.headDim, kv = config.kvHeadCount * config.headDim
        let qkv = config.attentionBias.onQueryKeyValue, o = config.attentionBias.onOutput, mlp = config.mlpBias
        let norm = Tensor(shape: [d], repeating: 1)
        let layers = (0..<config.layerCount).map { _ in
            LlamaDecoderLayer(inputNorm: norm, postAttentionNorm: norm,
                              qProj: linear(q, d, bias: qkv), kProj: linear(kv, d, bias: qkv), vProj: linear(kv, d, bias: qkv),
                              oProj: linear(d, q, bias: o), gateProj: linear(m, d, bias: mlp), upProj: linear(m, d, bias: mlp),
                              downProj: linear(d, m, bias: mlp), config: config)
        }
        let embeddings = weights.matrix(config.vocabularySize, d, dtype: dtype)
        return LlamaModel(config: config, embedTokens: embeddings, layers: layers, norm: norm,
                          lmHead: config.tieWordEmbeddings ? embeddings : weights.matrix(config.vocabularySize, d, dtype: dtype))
    }
}

extension LlamaModel {
    /// Whether the LM head is the embedding table's own storage (tied embeddings).
    var headIsEmbeddingTable: Bool { lmHead.rawBytes.baseAddress == embedTokens.rawBytes.baseAddress }
}
