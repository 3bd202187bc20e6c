import Tensors
import Transformer

/// A vision tower `pdrop bench --vision` can build and count: what CLIP and SigLIP do differently
/// around the shared encoder layers (`VisionEncoderLayer`). CLIP prepends a class token, has no
/// patch-embedding bias and a `pre_layrnorm`; SigLIP has no class token and a biased patch
/// embedding.
protocol BenchVisionConfig: VisionEncoderConfig {
    /// Tokens before the patches: 1 for CLIP's class token, 0 for SigLIP.
    var classTokenCount: Int { get }
    /// Whether the patch embedding has a bias.
    var patchEmbeddingHasBias: Bool { get }

    /// The tower from its synthetic parts — the patch embedding, the position embeddings
    /// (`[tokenCount, D]`), the layers that run and a unit layer norm — drawing any parts of its
    /// own (CLIP's class embedding) from `weights`.
    func tower(patchEmbedding: Linear, positionEmbedding: Tensor, layers: [VisionEncoderLayer<Self>],
               norm: (weight: Tensor, bias: Tensor), weights: inout SyntheticWeights) -> @Sendable (Tensor) -> Tensor
}

extension BenchVisionConfig {
    /// Tokens the encoder layers run on: the patches and any class token.
    var tokenCount: Int { patchCount + classTokenCount }

    /// The tower's products with `layers` encoder layers: the patch embedding (patches ×
    /// C·P·P → D) once, then per layer q, k, v, out (D → D), fc1 (D → I) and fc2 (I → D) over
    /// every token.
    func gemmShapes(layers: Int) -> [GEMMShape] {
        let t = tokenCount, d = hiddenSize, m = intermediateSize
        return [
            GEMMShape(rows: patchCount, out: d, inner: channels * patchSize * patchSize),
            GEMMShape(rows: t, out: d, inner: d, count: 4 * layers),
            GEMMShape(rows: t, out: m, inner: d, count: layers),
            GEMMShape(rows: t, out: d, inner: m, count: layers),
        ]
    }

    /// FLOPs of one image through `layers` layers (a multiply-add is two): the products of
    /// `gemmShapes` and, per layer, attention's scores and weighted values (`2 · T² · D`
    /// multiply-adds, every token attending to every token).
    func flops(layers: Int) -> Double {
        let t = Double(tokenCount), d = Double(hiddenSize)
        let gemms = gemmShapes(layers: layers).reduce(0.0) { $0 + Double($1.count) * $1.flops }
        return gemms + Double(layers) * 2 * (2 * t * t * d)
    }
}

extension CLIPVisionConfig: BenchVisionConfig {
    var classTokenCount: Int { 1 }
    var patchEmbeddingHasBias: Bool { false }

    /// LLaVA's CLIP: class embedding, `pre_layrnorm`, the patches without the class token.
    func tower(patchEmbedding: Linear, positionEmbedding: Tensor, layers: [CLIPEncoderLayer],
               norm: (weight: Tensor, bias: Tensor), weights: inout SyntheticWeights) -> @Sendable (Tensor) -> Tensor {
        let encoder = CLIPVisionEncoder(config: self, classEmbedding: weights.uniform([hiddenSize], scale: 0.02),
                                        patchEmbedding: patchEmbedding, positionEmbedding: positionEmbedding, preLayerNorm: norm,
                                        layers: layers, selection: .patches)
        return { encoder($0) }
    }
}

extension SiglipVisionConfig: BenchVisionConfig {
    var classTokenCount: Int { 0 }
    var patchEmbeddingHasBias: Bool { true }

    /// LLaVA-OneVision's SigLIP: every patch, no `post_layernorm` (its feature layer is a hidden state).
    func tower(patchEmbedding: Linear, positionEmbedding: Tensor, layers: [SiglipEncoderLayer],
               norm: (weight: Tensor, bias: Tensor), weights: inout SyntheticWeights) -> @Sendable (Tensor) -> Tensor {
        let encoder = SiglipVisionEncoder(config: self, patchEmbedding: patchEmbedding, positionEmbedding: positionEmbedding,
                                          layers: layers)
        return { encoder($0) }
    }
}
