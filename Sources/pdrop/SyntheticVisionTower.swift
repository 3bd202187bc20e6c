import Tensors
import Transformer

/// A CLIP vision tower with deterministic random weights, made in memory through the public
/// memberwise inits: `layers` encoder layers of `config`'s shape (LLaVA's feature layer −2 runs
/// all but the last), matrices stored as `dtype`, products on `compute` (`.bf16` needs `dtype`
/// BF16); biases, norms and embeddings in f32.
enum SyntheticVisionTower {
    static func make(config: CLIPVisionConfig, layers: Int, dtype: DType, compute: ComputePath) -> CLIPVisionEncoder {
        var weights = SyntheticWeights(seed: 1000)
        let d = config.hiddenSize, m = config.intermediateSize
        func linear(_ rows: Int, _ columns: Int, bias: Bool = true) -> Linear {
            let weight = weights.matrix(rows, columns, dtype: dtype)
            return Linear(weight: weight, bias: bias ? weights.uniform([rows], scale: 0.02) : nil, compute: compute)
        }
        let norm = (weight: Tensor(shape: [d], repeating: 1), bias: Tensor(zeros: [d]))
        let encoderLayers = (0..<layers).map { _ in
            CLIPEncoderLayer(layerNorm1: norm, layerNorm2: norm, qProj: linear(d, d), kProj: linear(d, d), vProj: linear(d, d),
                             outProj: linear(d, d), fc1: linear(m, d), fc2: linear(d, m), config: config)
        }
        return CLIPVisionEncoder(config: config, classEmbedding: weights.uniform([d], scale: 0.02),
                                 patchEmbedding: linear(d, config.channels * config.patchSize * config.patchSize, bias: false),
                                 positionEmbedding: weights.uniform([config.tokenCount, d], scale: 0.02), preLayerNorm: norm,
                                 layers: encoderLayers, selection: .patches)
    }

    /// Random normalised pixels `[C, H, W]` for one image.
    static func pixels(config: CLIPVisionConfig) -> Tensor {
        var weights = SyntheticWeights(seed: 7)
        return weights.uniform([config.channels, config.imageSize, config.imageSize], scale: 1.5)
    }
}
