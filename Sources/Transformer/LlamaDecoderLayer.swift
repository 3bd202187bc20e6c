import PyramidDrop
import Tensors
import WeightIO

/// One LLaMA-family decoder layer: `h += o(attn(RoPE(q), RoPE(k), v))` over RMSNorm'd input, then
/// `h += down(act(gate(x)) · up(x))` over RMSNorm'd `h`. Multi-head or grouped-query attention;
/// the projections' biases as `config.attentionBias` and `config.mlpBias` say (Qwen2: q/k/v).
public struct LlamaDecoderLayer: Sendable {
    public let inputNorm: Tensor          // [d]
    public let postAttentionNorm: Tensor  // [d]
    public let qProj: Linear              // [heads·hd, d]
    public let kProj: Linear              // [kvHeads·hd, d]
    public let vProj: Linear              // [kvHeads·hd, d]
    public let oProj: Linear              // [d, heads·hd]
    public let gateProj: Linear           // [m, d]
    public let upProj: Linear             // [m, d]
    public let downProj: Linear           // [d, m]
    public let config: LlamaConfig
    public let rope: RoPE

    /// A layer from its parts (shapes as annotated on the properties).
    public init(inputNorm: Tensor, postAttentionNorm: Tensor, qProj: Linear, kProj: Linear, vProj: Linear, oProj: Linear,
                gateProj: Linear, upProj: Linear, downProj: Linear, config: LlamaConfig) {
        self.inputNorm = inputNorm
        self.postAttentionNorm = postAttentionNorm
        self.qProj = qProj
        self.kProj = kProj
        self.vProj = vProj
        self.oProj = oProj
        self.gateProj = gateProj
        self.upProj = upProj
        self.downProj = downProj
        self.config = config
        rope = RoPE(headDim: config.headDim, theta: config.ropeTheta)
    }

    /// Where the layer's products run (its projections' path).
    public var compute: ComputePath { qProj.compute }

    /// Loads the layer whose tensors are named `\(prefix).self_attn.q_proj.weight` etc., for the
    /// path `compute` gives the stored weights.
    public init(_ store: WeightStore, prefix: String, config: LlamaConfig, compute: ComputeMode = .auto) throws {
        let d = config.hiddenSize, q = config.headCount * config.headDim, kv = config.kvHeadCount * config.headDim
        let m = config.intermediateSize
        inputNorm = try store.tensor("\(prefix).input_layernorm.weight", shape: [d])
        postAttentionNorm = try store.tensor("\(prefix).post_attention_layernorm.weight", shape: [d])
        let qkvBias = config.attentionBias.onQueryKeyValue
        qProj = try Linear(store, "\(prefix).self_attn.q_proj", out: q, in: d, bias: qkvBias, compute: compute)
        kProj = try Linear(store, "\(prefix).self_attn.k_proj", out: kv, in: d, bias: qkvBias, compute: compute)
        vProj = try Linear(store, "\(prefix).self_attn.v_proj", out: kv, in: d, bias: qkvBias, compute: compute)
        oProj = try Linear(store, "\(prefix).self_attn.o_proj", out: d, in: q, bias: config.attentionBias.onOutput, compute: compute)
        gateProj = try Linear(store, "\(prefix).mlp.gate_proj", out: m, in: d, bias: config.mlpBias, compute: compute)
        upProj = try Linear(store, "\(prefix).mlp.up_proj", out: m, in: d, bias: config.mlpBias, compute: compute)
        downProj = try Linear(store, "\(prefix).mlp.down_proj", out: d, in: m, bias: config.mlpBias, compute: compute)
        self.config = config
        rope = RoPE(headDim: config.headDim, theta: config.ropeTheta)
    }

    private func normalizedInput(_ hidden: Tensor) -> Tensor {
        Normalization.rmsNorm(hidden, weight: inputNorm, eps: config.rmsNormEps)
    }
}

extension LlamaDecoderLayer: DecoderLayer {
    public func forward(_ state: inout TokenState, cache: inout any KVStore) {
        _ = run(&state, cache: &cache, lastRowMean: nil)
    }

    /// The attention row comes from this pass's own softmax (no second projection), the keys
    /// are the rows it appended.
    public func forward(_ state: inout TokenState, cache: inout any KVStore, observing needs: LayerNeeds) -> LayerEvidence {
        guard needs.contains(.lastTokenAttention) else {
            let keys = run(&state, cache: &cache, lastRowMean: nil)
            return LayerEvidence(keys: needs.contains(.keys) ? keys : nil)
        }
        var row = [Float](repeating: 0, count: cache.count + state.count)
        let keys = row.withUnsafeMutableBufferPointer { run(&state, cache: &cache, lastRowMean: $0.baseAddress) }
        return LayerEvidence(lastTokenAttention: row, keys: needs.contains(.keys) ? keys : nil)
    }

    /// The layer over `state`; returns the keys (after RoPE) it appended to `cache`.
    private func run(_ state: inout TokenState, cache: inout any KVStore, lastRowMean: UnsafeMutablePointer<Float>?) -> Tensor {
        let x = GEMM.productInput(normalizedInput(state.hidden), compute: compute)   // rounded once for q, k and v
        var q = qProj(x), k = kProj(x)
        let v = vProj(x)
        rope.apply(&q, positions: state.positions)
        rope.apply(&k, positions: state.positions)
        cache.append(keys: k, values: v)
        let attended = Attention.causal(queries: q, store: cache, heads: config.headCount, kvHeads: config.kvHeadCount,
                                        lastRowMean: lastRowMean, compute: compute)
        state.hidden.add(oProj(attended))
        addMLP(to: &state.hidden, rowwise: false)
        return k
    }

    /// `hidden += down(act(gate(x)) · up(x))` over RMSNorm'd `hidden`: with `rowwise`, each row as
    /// it alone would get it (`Linear.rows`, a decode step of several sequences); otherwise one
    /// product over all rows, their input rounded once for gate and up on the bf16 path.
    private func addMLP(to hidden: inout Tensor, rowwise: Bool) {
        let normed = Normalization.rmsNorm(hidden, weight: postAttentionNorm, eps: config.rmsNormEps)
        let x = rowwise ? normed : GEMM.productInput(normed, compute: compute)
        func project(_ layer: Linear, _ input: Tensor) -> Tensor { rowwise ? layer.rows(input) : layer(input) }
        var gate = project(gateProj, x)
        config.hiddenAct.apply(&gate)
        gate.multiply(project(upProj, x))
        hidden.add(project(downProj, gate))
    }

    /// The rows' projections read each weight once for all sequences; each row's attention runs
    /// over its own cache. Row for row the same arithmetic as `forward` on one token.
    public func decodeStep(_ state: inout TokenState, caches: inout [any KVStore]) {
        precondition(state.count == caches.count, "decodeStep: \(state.count) rows for \(caches.count) caches")
        let x = normalizedInput(state.hidden)
        var q = qProj.rows(x), k = kProj.rows(x)
        let v = vProj.rows(x)
        rope.apply(&q, positions: state.positions)
        rope.apply(&k, positions: state.positions)
        let attended = caches.indices.map { i in
            caches[i].append(keys: k.gatherRows([i]), values: v.gatherRows([i]))
            return Attention.causal(queries: q.gatherRows([i]), store: caches[i], heads: config.headCount, kvHeads: config.kvHeadCount,
                                    lastRowMean: nil, compute: compute)
        }
        state.hidden.add(oProj.rows(Tensor(concatenatingRows: attended, width: q.shape[1])))
        addMLP(to: &state.hidden, rowwise: true)
    }

    public func attention(of queries: [Int], in state: TokenState) -> Tensor {
        let x = normalizedInput(state.hidden)
        var q = qProj(x.gatherRows(queries)), k = kProj(x)
        rope.apply(&q, positions: queries.map { state.positions[$0] })
        rope.apply(&k, positions: state.positions)
        if compute == .bf16 {
            // The scores the bf16 forward pass would compute: from bf16-rounded queries and keys.
            q = q.converted(to: .bf16).toFloat32()
            k = k.converted(to: .bf16).toFloat32()
        }
        return Attention.meanProbabilities(queries: q, keys: k, queryRows: queries, heads: config.headCount, kvHeads: config.kvHeadCount)
    }
}
