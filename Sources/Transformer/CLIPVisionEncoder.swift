import PyramidDrop
import Tensors
import WeightIO

/// One CLIP encoder layer: the shared pre-norm ViT layer (`quick_gelu`, eps 1e-5 by default).
public typealias CLIPEncoderLayer = VisionEncoderLayer<CLIPVisionConfig>

/// The CLIP vision transformer as LLaVA uses it: patch embedding (a convolution without bias,
/// computed as a GEMM over unfolded patches), class token, position embeddings, `pre_layrnorm`,
/// then the encoder layers up to the chosen feature layer. `post_layernorm` is never applied.
public struct CLIPVisionEncoder: Sendable {
    /// Which hidden state LLaVA takes and whether it keeps the class token.
    public enum FeatureSelection: String, Sendable {
        /// Drop the class token (`vision_feature_select_strategy "default"`, original `"patch"`).
        case patches = "default"
        /// Keep it (`"full"`, original `"cls_patch"`).
        case full
    }

    public let config: CLIPVisionConfig
    public let classEmbedding: Tensor       // [D]
    public let patchEmbedding: Linear       // [D, C·P·P] (the conv kernel, flattened)
    public let positionEmbedding: Tensor    // [patches + 1, D]
    public let preLayerNorm: (weight: Tensor, bias: Tensor)
    /// The layers that run: as many as the feature layers need.
    public let layers: [CLIPEncoderLayer]
    /// The hidden states taken as features (0 = after `pre_layrnorm`, i = after layer i), side by
    /// side in this order.
    public let featureStates: [Int]
    public let selection: FeatureSelection

    /// A tower from its parts: the class embedding (`[D]`), the patch embedding as a linear layer
    /// over unfolded patches (`[D, C·P·P]`, no bias, the conv kernel flattened in (channel, ky,
    /// kx) order), the position embeddings (`[patches + 1, D]`), `pre_layrnorm` (`[D]` weight and
    /// bias) and the layers to run (as many as the feature layer needs: LLaVA's −2 runs all but
    /// the last); `featureStates` (default: the last layer's output) the hidden states taken.
    public init(config: CLIPVisionConfig, classEmbedding: Tensor, patchEmbedding: Linear, positionEmbedding: Tensor,
                preLayerNorm: (weight: Tensor, bias: Tensor), layers: [CLIPEncoderLayer], featureStates: [Int]? = nil,
                selection: FeatureSelection) {
        let d = config.hiddenSize
        precondition(classEmbedding.shape == [d], "class embedding must be [\(d)], got \(classEmbedding.shape)")
        precondition(patchEmbedding.weight.shape == [d, config.channels * config.patchSize * config.patchSize],
                     "patch embedding must be [\(d), C·P·P], got \(patchEmbedding.weight.shape)")
        precondition(positionEmbedding.shape == [config.patchCount + 1, d],
                     "position embedding must be [\(config.patchCount + 1), \(d)], got \(positionEmbedding.shape)")
        self.config = config
        self.classEmbedding = classEmbedding
        self.patchEmbedding = patchEmbedding
        self.positionEmbedding = positionEmbedding
        self.preLayerNorm = preLayerNorm
        self.layers = layers
        self.featureStates = featureStates ?? [layers.count]
        precondition(self.featureStates.allSatisfy { (0...layers.count).contains($0) }, "feature states \(self.featureStates) of \(layers.count) layers")
        self.selection = selection
    }

    /// Loads the tower whose tensors are named `\(prefix)embeddings.class_embedding` etc.
    /// `featureLayers` index the hidden states (0 = after `pre_layrnorm`, i = after layer i;
    /// negative values count from the end, so −2 runs all layers but the last); several are
    /// concatenated along the features, as transformers does for a list `vision_feature_layer`.
    /// `compute` chooses each projection's path from its stored dtype (the patch embedding too).
    public init(_ store: WeightStore, prefix: String, config: CLIPVisionConfig, featureLayers: [Int], selection: FeatureSelection,
                compute: ComputeMode = .auto) throws {
        let d = config.hiddenSize
        featureStates = try config.hiddenStates(featureLayers, source: prefix)
        let index = featureStates.max()!
        classEmbedding = try store.tensor("\(prefix)embeddings.class_embedding", shape: [d])
        patchEmbedding = try PatchEmbedding.load(store, name: "\(prefix)embeddings.patch_embedding", config: config, bias: false,
                                                 compute: compute)
        positionEmbedding = try store.tensor("\(prefix)embeddings.position_embedding.weight", shape: [config.patchCount + 1, d])
        preLayerNorm = (try store.tensor("\(prefix)pre_layrnorm.weight", shape: [d]), try store.tensor("\(prefix)pre_layrnorm.bias", shape: [d]))
        layers = try (0..<index).map { try CLIPEncoderLayer(store, prefix: "\(prefix)encoder.layers.\($0)", config: config, compute: compute) }
        self.config = config
        self.selection = selection
    }

    /// One feature layer's tower (see `init(_:prefix:config:featureLayers:selection:compute:)`).
    public init(_ store: WeightStore, prefix: String, config: CLIPVisionConfig, featureLayer: Int, selection: FeatureSelection,
                compute: ComputeMode = .auto) throws {
        try self.init(store, prefix: prefix, config: config, featureLayers: [featureLayer], selection: selection, compute: compute)
    }

    /// Features of one image `pixels` (`[C, H, W]`, normalised): `[patches, D·k]` for `k` feature
    /// layers (or `[patches + 1, D·k]` with `.full`).
    public func callAsFunction(_ pixels: Tensor) -> Tensor {
        let (hidden, _, _) = observe(pixels, needs: [])
        return selection == .full ? hidden : hidden.gatherRows(Array(1...config.patchCount))
    }

    /// The feature layers' outputs for `pixels` (`[1 + patches, D·k]`, the class token first), and
    /// what `needs` asks of the last layer run: the class token's attention
    /// per head (`[heads, 1 + patches]`) and the keys (`[1 + patches, D]`); both nil for a
    /// tower that runs no layer (feature layer 0).
    public func observe(_ pixels: Tensor, needs: VisionNeeds) -> (hidden: Tensor, classAttention: Tensor?, keys: Tensor?) {
        let c = config.channels, s = config.imageSize, d = config.hiddenSize
        precondition(pixels.shape == [c, s, s], "CLIP expects pixels [\(c), \(s), \(s)], got \(pixels.shape)")
        let patches = PatchEmbedding.unfold(pixels, config: config)
        let embedded = patchEmbedding(patches)   // [patches, D]
        var x = Tensor(zeros: [config.patchCount + 1, d])
        x.withMutableFloats { dst in
            classEmbedding.withFloats { dst.baseAddress!.update(from: $0.baseAddress!, count: d) }
            embedded.withFloats { (dst.baseAddress! + d).update(from: $0.baseAddress!, count: config.patchCount * d) }
        }
        x.add(positionEmbedding.toFloat32())
        x = Normalization.layerNorm(x, weight: preLayerNorm.weight, bias: preLayerNorm.bias, eps: config.layerNormEps)
        let observed = CLIPEncoderLayer.run(layers, on: &x, featureStates: featureStates, observingLast: needs)
        return (observed.features, observed.classAttention, observed.keys)
    }
}
