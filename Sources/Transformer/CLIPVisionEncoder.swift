import PyramidDrop
import Tensors
import WeightIO

/// One pre-norm CLIP encoder layer: `x += out(MHA(LN1(x)))`, `x += fc2(act(fc1(LN2(x))))`.
public struct CLIPEncoderLayer: Sendable {
    public let layerNorm1: (weight: Tensor, bias: Tensor)   // [D]
    public let layerNorm2: (weight: Tensor, bias: Tensor)   // [D]
    public let qProj: Linear, kProj: Linear, vProj: Linear, outProj: Linear  // [D, D] + bias
    public let fc1: Linear                                  // [I, D] + bias
    public let fc2: Linear                                  // [D, I] + bias
    public let config: CLIPVisionConfig

    /// Where the layer's products run (its projections' path).
    public var compute: ComputePath { qProj.compute }

    /// A layer from its parts: the two layer norms (`[D]` weight and bias each), the attention
    /// projections (`[D, D]` with bias), `fc1` (`[I, D]` with bias) and `fc2` (`[D, I]` with
    /// bias). The layer computes on its projections' paths (`qProj.compute`), so build them all
    /// for one path.
    public init(layerNorm1: (weight: Tensor, bias: Tensor), layerNorm2: (weight: Tensor, bias: Tensor),
                qProj: Linear, kProj: Linear, vProj: Linear, outProj: Linear, fc1: Linear, fc2: Linear, config: CLIPVisionConfig) {
        self.layerNorm1 = layerNorm1
        self.layerNorm2 = layerNorm2
        self.qProj = qProj
        self.kProj = kProj
        self.vProj = vProj
        self.outProj = outProj
        self.fc1 = fc1
        self.fc2 = fc2
        self.config = config
    }

    /// Loads the layer named `\(prefix).…`, for the path `compute` gives the stored weights.
    public init(_ store: WeightStore, prefix: String, config: CLIPVisionConfig, compute: ComputeMode = .auto) throws {
        let d = config.hiddenSize, m = config.intermediateSize
        layerNorm1 = (try store.tensor("\(prefix).layer_norm1.weight", shape: [d]), try store.tensor("\(prefix).layer_norm1.bias", shape: [d]))
        layerNorm2 = (try store.tensor("\(prefix).layer_norm2.weight", shape: [d]), try store.tensor("\(prefix).layer_norm2.bias", shape: [d]))
        qProj = try Linear(store, "\(prefix).self_attn.q_proj", out: d, in: d, bias: true, compute: compute)
        kProj = try Linear(store, "\(prefix).self_attn.k_proj", out: d, in: d, bias: true, compute: compute)
        vProj = try Linear(store, "\(prefix).self_attn.v_proj", out: d, in: d, bias: true, compute: compute)
        outProj = try Linear(store, "\(prefix).self_attn.out_proj", out: d, in: d, bias: true, compute: compute)
        fc1 = try Linear(store, "\(prefix).mlp.fc1", out: m, in: d, bias: true, compute: compute)
        fc2 = try Linear(store, "\(prefix).mlp.fc2", out: d, in: m, bias: true, compute: compute)
        self.config = config
    }

    /// Runs the layer on `x` (`[tokens, D]`), in place.
    public func callAsFunction(_ x: inout Tensor) {
        _ = callAsFunction(&x, observing: [])
    }

    /// Runs the layer on `x` (`[tokens, D]`, the class token first), in place, and returns what
    /// `needs` asks of it: the class token's attention over every token per head (`[heads,
    /// tokens]`, from the Q/K the pass used — bf16-rounded on the bf16 path) and the key
    /// projections (`[tokens, D]`).
    public func callAsFunction(_ x: inout Tensor, observing needs: VisionNeeds) -> (classAttention: Tensor?, keys: Tensor?) {
        let h = Normalization.layerNorm(x, weight: layerNorm1.weight, bias: layerNorm1.bias, eps: config.layerNormEps)
        let q = qProj(h), k = kProj(h), v = vProj(h)
        var classAttention: Tensor?
        if needs.contains(.classAttention) {
            let (q0, keys) = compute == .bf16 ? (q.gatherRows([0]).converted(to: .bf16).toFloat32(), k.converted(to: .bf16).toFloat32())
                                              : (q.gatherRows([0]), k)
            classAttention = Attention.headProbabilities(query: q0, keys: keys, heads: config.headCount)
        }
        let attended = Attention.unmasked(queries: q, keys: k, values: v, heads: config.headCount, kvHeads: config.headCount,
                                          compute: compute)
        x.add(outProj(attended))
        var hidden = fc1(Normalization.layerNorm(x, weight: layerNorm2.weight, bias: layerNorm2.bias, eps: config.layerNormEps))
        config.hiddenAct.apply(&hidden)
        x.add(fc2(hidden))
        return (classAttention, needs.contains(.towerKeys) ? k : nil)
    }
}

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
    /// The layers that run: as many as the feature layer needs.
    public let layers: [CLIPEncoderLayer]
    public let selection: FeatureSelection

    /// A tower from its parts: the class embedding (`[D]`), the patch embedding as a linear layer
    /// over unfolded patches (`[D, C·P·P]`, no bias, the conv kernel flattened in (channel, ky,
    /// kx) order), the position embeddings (`[patches + 1, D]`), `pre_layrnorm` (`[D]` weight and
    /// bias) and the layers to run (as many as the feature layer needs: LLaVA's −2 runs all but
    /// the last).
    public init(config: CLIPVisionConfig, classEmbedding: Tensor, patchEmbedding: Linear, positionEmbedding: Tensor,
                preLayerNorm: (weight: Tensor, bias: Tensor), layers: [CLIPEncoderLayer], selection: FeatureSelection) {
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
        self.selection = selection
    }

    /// Loads the tower whose tensors are named `\(prefix)embeddings.class_embedding` etc.
    /// `featureLayer` indexes the hidden states (0 = after `pre_layrnorm`, i = after layer i);
    /// negative values count from the end, so −2 runs all layers but the last.
    /// `compute` chooses each projection's path from its stored dtype (the patch embedding too).
    public init(_ store: WeightStore, prefix: String, config: CLIPVisionConfig, featureLayer: Int, selection: FeatureSelection,
                compute: ComputeMode = .auto) throws {
        let d = config.hiddenSize, p = config.patchSize, c = config.channels
        let index = featureLayer < 0 ? config.layerCount + 1 + featureLayer : featureLayer
        guard index >= 0 && index <= config.layerCount else {
            throw TransformerError.invalidConfig(source: prefix, field: "vision_feature_layer",
                                                 reason: "\(featureLayer) is outside the \(config.layerCount + 1) hidden states")
        }
        classEmbedding = try store.tensor("\(prefix)embeddings.class_embedding", shape: [d])
        let patchName = "\(prefix)embeddings.patch_embedding.weight"
        let patchWeight = try store.tensor(patchName, shape: [d, c, p, p]).reshaped([d, c * p * p])
        patchEmbedding = try Linear(loaded: patchWeight, named: patchName, from: store, compute: compute)
        positionEmbedding = try store.tensor("\(prefix)embeddings.position_embedding.weight", shape: [config.patchCount + 1, d])
        preLayerNorm = (try store.tensor("\(prefix)pre_layrnorm.weight", shape: [d]), try store.tensor("\(prefix)pre_layrnorm.bias", shape: [d]))
        layers = try (0..<index).map { try CLIPEncoderLayer(store, prefix: "\(prefix)encoder.layers.\($0)", config: config, compute: compute) }
        self.config = config
        self.selection = selection
    }

    /// Features of one image `pixels` (`[C, H, W]`, normalised): `[patches, D]` (or
    /// `[patches + 1, D]` with `.full`).
    public func callAsFunction(_ pixels: Tensor) -> Tensor {
        let (hidden, _, _) = observe(pixels, needs: [])
        return selection == .full ? hidden : hidden.gatherRows(Array(1...config.patchCount))
    }

    /// The feature layer's output for `pixels` (`[1 + patches, D]`, the class token first), and
    /// what `needs` asks of the feature layer (the last layer run): the class token's attention
    /// per head (`[heads, 1 + patches]`) and the keys (`[1 + patches, D]`); both nil for a
    /// tower that runs no layer (feature layer 0).
    public func observe(_ pixels: Tensor, needs: VisionNeeds) -> (hidden: Tensor, classAttention: Tensor?, keys: Tensor?) {
        let c = config.channels, s = config.imageSize, p = config.patchSize, g = config.gridSize, d = config.hiddenSize
        precondition(pixels.shape == [c, s, s], "CLIP expects pixels [\(c), \(s), \(s)], got \(pixels.shape)")
        // Unfold: row (py·g + px) holds the patch's pixels in the kernel's (channel, ky, kx) order.
        var patches = Tensor(zeros: [config.patchCount, c * p * p])
        pixels.withFloats { src in
            patches.withMutableFloats { dst in
                var o = 0
                for py in 0..<g { for px in 0..<g { for ch in 0..<c { for ky in 0..<p {
                    (dst.baseAddress! + o).update(from: src.baseAddress! + (ch * s + py * p + ky) * s + px * p, count: p)
                    o += p
                } } } }
            }
        }
        let embedded = patchEmbedding(patches)   // [patches, D]
        var x = Tensor(zeros: [config.patchCount + 1, d])
        x.withMutableFloats { dst in
            classEmbedding.withFloats { dst.baseAddress!.update(from: $0.baseAddress!, count: d) }
            embedded.withFloats { (dst.baseAddress! + d).update(from: $0.baseAddress!, count: config.patchCount * d) }
        }
        x.add(positionEmbedding.toFloat32())
        x = Normalization.layerNorm(x, weight: preLayerNorm.weight, bias: preLayerNorm.bias, eps: config.layerNormEps)
        var observed: (classAttention: Tensor?, keys: Tensor?) = (nil, nil)
        for (i, layer) in layers.enumerated() {
            if i == layers.count - 1 { observed = layer(&x, observing: needs) } else { layer(&x) }
        }
        return (x, observed.classAttention, observed.keys)
    }
}
