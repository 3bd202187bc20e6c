import Tensors
import Transformer

/// A language model with deterministic random weights, made in memory (nothing touches disk), stored
/// as `dtype`: each weight gets its own seed, so every layer holds distinct data as a real model does.
/// The layers compute on `compute` (`.bf16` needs `dtype` BF16).
enum SyntheticModel {
    static func make(config: LlamaConfig, dtype: DType, compute: ComputePath = .f32) -> LlamaModel {
        var weights = SyntheticWeights()
        func linear(_ rows: Int, _ columns: Int) -> Linear {
            Linear(weight: weights.matrix(rows, columns, dtype: dtype), compute: compute)
        }
        let d = config.hiddenSize, m = config.intermediateSize
        let q = config.headCount * config.headDim, kv = config.kvHeadCount * config.headDim
        let norm = Tensor(shape: [d], repeating: 1)
        let layers = (0..<config.layerCount).map { _ in
            LlamaDecoderLayer(inputNorm: norm, postAttentionNorm: norm,
                              qProj: linear(q, d), kProj: linear(kv, d), vProj: linear(kv, d), oProj: linear(d, q),
                              gateProj: linear(m, d), upProj: linear(m, d), downProj: linear(d, m), config: config)
        }
        return LlamaModel(config: config, embedTokens: weights.matrix(config.vocabularySize, d, dtype: dtype), layers: layers,
                          norm: norm, lmHead: weights.matrix(config.vocabularySize, d, dtype: dtype))
    }
}
