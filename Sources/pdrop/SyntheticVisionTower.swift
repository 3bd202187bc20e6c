import Tensors
import Transformer

/// A vision tower (CLIP or SigLIP) with deterministic random weights, made in memory through the
/// public memberwise inits: `layers` encoder layers of `config`'s shape (as many as the feature
/// layer runs: all but the last for LLaVA's CLIP at −2, all for OneVision's SigLIP at −1),
/// matrices stored as `dtype`, products on `compute` (`.bf16` needs `dtype` BF16); biases, norms
/// and embeddings in f32.
enum SyntheticVisionTower {
    /// The tower as a function from one image's pixels (`pixels(config:)`) to its features.
    static func make<Config: BenchVisionConfig>(config: Config, layers: Int, dtype: DType,
                                                compute: ComputePath) -> @Sendable (Tensor) -> Tensor {
        var weights = SyntheticWeights(seed: 1000)
        let d = config.hiddenSize, m = config.intermediateSize
        func linear(_ rows: Int, _ columns: Int, bias: Bool = true) -> Linear {
            let weight = weights.matrix(rows, columns, dtype: dtype)
            return Linear(weight: weight, bias: bias ? weights.uniform([rows], scale: 0.02) : nil, compute: compute)
        }
        let norm = (weight: Tensor(shape: [d], repeating: 1), bias: Tensor(zeros: [d]))
        let encoderLayers = (0..<layers).map { _ in
            VisionEncoderLayer(layerNorm1: norm, layerNorm2: norm, qProj: linear(d, d), kProj: linear(d, d), vProj: linear(d, d),
                               outProj: linear(d, d), fc1: linear(m, d), fc2: linear(d, m), config: config)
        }
        let patchEmbedding = linear(d, config.channels * config.patchSize * config.patchSize, bias: config.patchEmbeddingHasBias)
        return config.tower(patchEmbedding: patchEmbedding, positionEmbedding: weights.uniform([config.tokenCount, d], scale: 0.02),
                            layers: encoderLayers, norm: norm, weights: &weights)
    }

    /// Random normalised pixels `[C, H, W]` for one image.
    static func pixels(config: some VisionEncoderConfig) -> Tensor {
        var weights = SyntheticWeights(seed: 7)
        return weights.uniform([config.channels, config.imageSize, config.imageSize], scale: 1.5)
    }
}
