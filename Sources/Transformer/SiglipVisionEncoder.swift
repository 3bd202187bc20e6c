import PyramidDrop
import Tensors
import WeightIO

/// One SigLIP encoder layer: the shared pre-norm ViT layer (`gelu_pytorch_tanh`, eps 1e-6 by
/// default).
public typealias SiglipEncoderLayer = VisionEncoderLayer<SiglipVisionConfig>

/// The SigLIP vision transformer as LLaVA-OneVision uses it (transformers' `SiglipVisionModel`):
/// patch embedding (a convolution with bias, computed as a GEMM over unfolded patches) plus one
/// learned position embedding per patch — no class token, no pre-norm — then the encoder layers
/// up to the chosen feature layer. Its features are every patch (`full` selection: there is no
/// class token to drop). `post_layernorm` runs only when asked for, after the last layer
/// (`last_hidden_state`): transformers' `hidden_states`, which LLaVA-OneVision takes, never
/// include it. The attention-pooling head is never run.
public struct SiglipVisionEncoder: Sendable {
    public let config: SiglipVisionConfig
    public let patchEmbedding: Linear       // [D, C·P·P] (the conv kernel, flattened) + bias [D]
    public let positionEmbedding: Tensor    // [patches, D]
    /// The layers that run: as many as the feature layers need.
    public let layers: [SiglipEncoderLayer]
    /// The hidden states taken as features (0 = the embeddings, i = after layer i), side by side
    /// in this order.
    public let featureStates: [Int]
    /// `post_layernorm` (`[D]` weight and bias), when the tower outputs the last hidden state
    /// through it.
    public let postLayerNorm: (weight: Tensor, bias: Tensor)?

    /// A tower from its parts: the patch embedding as a linear layer over unfolded patches
    /// (`[D, C·P·P]` with bias, the conv kernel flattened in (channel, ky, kx) order), the
    /// position embeddings (`[patches, D]`), the layers to run (as many as the feature layer
    /// needs), the hidden states taken (default: the last layer's output) and, to end with it,
    /// `post_layernorm` (only after all the layers, on a single feature state).
    public init(config: SiglipVisionConfig, patchEmbedding: Linear, positionEmbedding: Tensor, layers: [SiglipEncoderLayer],
                featureStates: [Int]? = nil, postLayerNorm: (weight: Tensor, bias: Tensor)? = nil) {
        let d = config.hiddenSize
        precondition(patchEmbedding.weight.shape == [d, config.channels * config.patchSize * config.patchSize]
                     && patchEmbedding.bias?.shape == [d],
                     "patch embedding must be [\(d), C·P·P] with a [\(d)] bias, got \(patchEmbedding.weight.shape)")
        precondition(positionEmbedding.shape == [config.patchCount, d],
                     "position embedding must be [\(config.patchCount), \(d)], got \(positionEmbedding.shape)")
        let featureStates = featureStates ?? [layers.count]
        precondition(featureStates.allSatisfy { (0...layers.count).contains($0) }, "feature states \(featureStates) of \(layers.count) layers")
        precondition(postLayerNorm == nil || (layers.count == config.layerCount && featureStates == [layers.count]),
                     "post_layernorm follows the last layer: \(layers.count) of \(config.layerCount) layers run")
        self.featureStates = featureStates
        self.config = config
        self.patchEmbedding = patchEmbedding
        self.positionEmbedding = positionEmbedding
        self.layers = layers
        self.postLayerNorm = postLayerNorm
    }

    /// Loads the tower whose tensors are named `\(prefix)embeddings.patch_embedding.weight`,
    /// `\(prefix)encoder.layers.N.…` etc. (`prefix` is `vision_model.` in a SigLIP checkpoint).
    /// `featureLayers` index the hidden states (0 = the embeddings, i = after layer i; negative
    /// values count from the end, so −1 runs every layer); several are concatenated along the
    /// features, as transformers does for a list `vision_feature_layer`. `postLayerNorm` ends
    /// with `\(prefix)post_layernorm` (transformers' `last_hidden_state`) and needs the last layer
    /// alone. `compute` chooses each projection's path from its stored dtype (the patch
    /// embedding too).
    public init(_ store: WeightStore, prefix: String, config: SiglipVisionConfig, featureLayers: [Int], postLayerNorm: Bool = false,
                compute: ComputeMode = .auto) throws {
        let d = config.hiddenSize
        let states = try config.hiddenStates(featureLayers, source: prefix)
        let index = states.max()!
        guard !postLayerNorm || states == [config.layerCount] else {
            throw TransformerError.invalidConfig(source: prefix, field: "vision_feature_layer",
                                                 reason: "post_layernorm follows the last layer, not hidden states \(featureLayers)")
        }
        self.init(config: config,
                  patchEmbedding: try PatchEmbedding.load(store, name: "\(prefix)embeddings.patch_embedding", config: config, bias: true,
                                                          compute: compute),
                  positionEmbedding: try store.tensor("\(prefix)embeddings.position_embedding.weight", shape: [config.patchCount, d]),
                  layers: try (0..<index).map { try SiglipEncoderLayer(store, prefix: "\(prefix)encoder.layers.\($0)", config: config,
                                                                       compute: compute) },
                  featureStates: states,
                  postLayerNorm: postLayerNorm ? (try store.tensor("\(prefix)post_layernorm.weight", shape: [d]),
                                                  try store.tensor("\(prefix)post_layernorm.bias", shape: [d])) : nil)
    }

    /// One feature layer's tower (see `init(_:prefix:config:featureLayers:postLayerNorm:compute:)`).
    public init(_ store: WeightStore, prefix: String, config: SiglipVisionConfig, featureLayer: Int, postLayerNorm: Bool = false,
                compute: ComputeMode = .auto) throws {
        try self.init(store, prefix: prefix, config: config, featureLayers: [featureLayer], postLayerNorm: postLayerNorm, compute: compute)
    }

    /// Features of one image `pixels` (`[C, S, S]`, normalised): `[patches, D·k]` for `k` feature layers.
    public func callAsFunction(_ pixels: Tensor) -> Tensor {
        observe(pixels, needs: []).hidden
    }

    /// The feature layers' outputs for `pixels` (`[patches, D·k]`, through `post_layernorm` if the
    /// tower has it), and what `needs` asks of the last layer run: its keys
    /// (`[patches, D]`; nil for a tower that runs no layer). There is no class token, so no
    /// class attention: always nil.
    public func observe(_ pixels: Tensor, needs: VisionNeeds) -> (hidden: Tensor, classAttention: Tensor?, keys: Tensor?) {
        let c = config.channels, s = config.imageSize
        precondition(pixels.shape == [c, s, s], "SigLIP expects pixels [\(c), \(s), \(s)], got \(pixels.shape)")
        var x = patchEmbedding(PatchEmbedding.unfold(pixels, config: config))   // [patches, D]
        x.add(positionEmbedding.toFloat32())
        var (features, _, keys) = SiglipEncoderLayer.run(layers, on: &x, featureStates: featureStates,
                                                          observingLast: needs.subtracting(.classAttention))
        if let postLayerNorm {
            features = Normalization.layerNorm(features, weight: postLayerNorm.weight, bias: postLayerNorm.bias, eps: config.layerNormEps)
        }
        return (features, nil, keys)
    }
}
