import Tensors
import Transformer

/// A language model with deterministic random weights, made in memory (nothing touches disk), stored
/// as `dtype`: each weight gets its own seed, so every layer holds distinct data as a real model does.
/// The layers compute on `compute` (`.bf16` needs `dtype` BF16).
enum SyntheticModel {
    static func make(config: LlamaConfig, dtype: DType, compute: ComputePath = .f32) -> LlamaModel {
        var seed: UInt64 = 1
        func matrix(_ rows: Int, _ columns: Int) -> Tensor {
            seed += 1
            var generator = SplitMix64(seed: seed)
            let scale = 1 / Float(columns).squareRoot()
            var values = Tensor(zeros: [rows, columns])
            values.withMutableFloats { p in
                for i in p.indices { p[i] = (Float(generator.next() >> 40) / Float(1 << 24) - 0.5) * 2 * scale }
            }
            return values.converted(to: dtype)
        }
        let d = config.hiddenSize, m = config.intermediateSize
        let q = config.headCount * config.headDim, kv = config.kvHeadCount * config.headDim
        let norm = Tensor(shape: [d], repeating: 1)
        let layers = (0..<config.layerCount).map { _ in
            LlamaDecoderLayer(inputNorm: norm, postAttentionNorm: norm,
                              qProj: Linear(weight: matrix(q, d), compute: compute), kProj: Linear(weight: matrix(kv, d), compute: compute),
                              vProj: Linear(weight: matrix(kv, d), compute: compute), oProj: Linear(weight: matrix(d, q), compute: compute),
                              gateProj: Linear(weight: matrix(m, d), compute: compute), upProj: Linear(weight: matrix(m, d), compute: compute),
                              downProj: Linear(weight: matrix(d, m), compute: compute), config: config)
        }
        return LlamaModel(config: config, embedTokens: matrix(config.vocabularySize, d), layers: layers, norm: norm,
                          lmHead: matrix(config.vocabularySize, d))
    }
}
