import PyramidDrop
import Tensors
import WeightIO

/// One pre-norm ViT encoder layer, as CLIP and SigLIP both compute it: `x += out(MHA(LN1(x)))`,
/// `x += fc2(act(fc1(LN2(x))))`, every projection with bias, attention scaled by `head_dim^-0.5`;
/// the activation, the norms' eps and the sizes come from `config`.
public struct VisionEncoderLayer<Config: VisionEncoderConfig>: Sendable {
    public let layerNorm1: (weight: Tensor, bias: Tensor)   // [D]
    public let layerNorm2: (weight: Tensor, bias: Tensor)   // [D]
    public let qProj: Linear, kProj: Linear, vProj: Linear, outProj: Linear  // [D, D] + bias
    public let fc1: Linear                                  // [I, D] + bias
    public let fc2: Linear                                  // [D, I] + bias
    public let config: Config

    /// Where the layer's products run (its projections' path).
    public var compute: ComputePath { qProj.compute }

    /// A layer from its parts: the two layer norms (`[D]` weight and bias each), the attention
    /// projections (`[D, D]` with bias), `fc1` (`[I, D]` with bias) and `fc2` (`[D, I]` with
    /// bias). The layer computes on its projections' paths (`qProj.compute`), so build them all
    /// for one path.
    public init(layerNorm1: (weight: Tensor, bias: Tensor), layerNorm2: (weight: Tensor, bias: Tensor),
                qProj: Linear, kProj: Linear, vProj: Linear, outProj: Linear, fc1: Linear, fc2: Linear, config: Config) {
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
    public init(_ store: WeightStore, prefix: String, config: Config, compute: ComputeMode = .auto) throws {
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

    /// Runs the layer on `x` (`[tokens, D]`; CLIP's class token first), in place, and returns
    /// what `needs` asks of it: row 0's (the class token's) attention over every token per head
    /// (`[heads, tokens]`, from the Q/K the pass used — bf16-rounded on the bf16 path) and the
    /// key projections (`[tokens, D]`).
    public func callAsFunction(_ x: inout Tensor, observing needs: VisionNeeds) -> (classAttention: Tensor?, keys: Tensor?) {
        let h = GEMM.productInput(Normalization.layerNorm(x, weight: layerNorm1.weight, bias: layerNorm1.bias, eps: config.layerNormEps),
                                  compute: compute)   // rounded once for q, k and v
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
        let hidden = fc1(Normalization.layerNorm(x, weight: layerNorm2.weight, bias: layerNorm2.bias, eps: config.layerNormEps),
                         activation: config.hiddenAct)
        x.add(fc2(hidden))
        return (classAttention, needs.contains(.towerKeys) ? k : nil)
    }

    /// Runs `layers` on `x` in order, in place, and returns the hidden states numbered
    /// `featureStates` (0: `x` as given, i: after layer i; each at most `layers.count`) side by
    /// side in that order, and what `needs` asks of the last layer (both nil when there is no
    /// layer).
    static func run(_ layers: [Self], on x: inout Tensor, featureStates: [Int],
                    observingLast needs: VisionNeeds) -> (features: Tensor, classAttention: Tensor?, keys: Tensor?) {
        var observed: (classAttention: Tensor?, keys: Tensor?) = (nil, nil)
        let lastOnly = featureStates == [layers.count]   // the common case: `x` itself, no copies
        var states: [Int: Tensor] = [:]
        func keep(_ index: Int) { if !lastOnly, featureStates.contains(index) { states[index] = x } }
        keep(0)
        for (i, layer) in layers.enumerated() {
            if i == layers.count - 1 { observed = layer(&x, observing: needs) } else { layer(&x) }
            keep(i + 1)
        }
        let features = lastOnly ? x : Tensor(concatenatingColumns: featureStates.map { states[$0]! })
        return (features, observed.classAttention, observed.keys)
    }
}
