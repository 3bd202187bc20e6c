// Retrofit PyramidDrop onto a decoder you wrote yourself: conform its layer type to `DecoderLayer`
// and hand the layers to `PyramidWrapper`. Usage: swift run WrapModel [MODEL_FOLDER]
// (default: the tiny random LLaMA under Tests/Fixtures/models/llama).
import Foundation
import PyramidDrop
import Tensors
import Transformer
import WeightIO

/// A plain LLaMA layer of our own, read from a `WeightStore` by name.
struct MyLayer: DecoderLayer {
    let w: [String: Tensor], heads: Int, kvHeads: Int, rope: RoPE

    init(_ store: WeightStore, _ i: Int, heads: Int, kvHeads: Int, headDim: Int) throws {
        let names = ["input_layernorm", "post_attention_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                     "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]
        w = try Dictionary(uniqueKeysWithValues: names.map { ($0, try store.tensor("model.layers.\(i).\($0).weight")) })
        (self.heads, self.kvHeads, rope) = (heads, kvHeads, RoPE(headDim: headDim, theta: 10_000))
    }

    func norm(_ x: Tensor, _ name: String) -> Tensor { Normalization.rmsNorm(x, weight: w[name]!, eps: 1e-5) }
    func linear(_ x: Tensor, _ name: String) -> Tensor { GEMM.linear(x, weight: w[name]!) }

    // What the wrapper runs: the layer over the current tokens, keys/values into the cache.
    func forward(_ state: inout TokenState, cache: inout LayerCache) {
        let x = norm(state.hidden, "input_layernorm")
        var q = linear(x, "self_attn.q_proj"), k = linear(x, "self_attn.k_proj")
        rope.apply(&q, positions: state.positions)
        rope.apply(&k, positions: state.positions)
        cache.append(keys: k, values: linear(x, "self_attn.v_proj"))
        state.hidden.add(linear(Attention.causal(queries: q, cache: cache, heads: heads, kvHeads: kvHeads), "self_attn.o_proj"))
        let h = norm(state.hidden, "post_attention_layernorm")
        var gate = linear(h, "mlp.gate_proj")
        Activation.silu.apply(&gate)
        gate.multiply(linear(h, "mlp.up_proj"))
        state.hidden.add(linear(gate, "mlp.down_proj"))
    }

    // What the rankers read: this layer's attention of some query rows over all tokens.
    func attention(of queries: [Int], in state: TokenState) -> Tensor {
        let x = norm(state.hidden, "input_layernorm")
        var q = linear(x.gatherRows(queries), "self_attn.q_proj"), k = linear(x, "self_attn.k_proj")
        rope.apply(&q, positions: queries.map { state.positions[$0] })
        rope.apply(&k, positions: state.positions)
        return Attention.meanProbabilities(queries: q, keys: k, queryRows: queries, heads: heads, kvHeads: kvHeads)
    }
}

@main struct WrapModel {
    static func main() throws {
        let folder = CommandLine.arguments.dropFirst().first ?? "Tests/Fixtures/models/llama"
        let store = try WeightStore(path: folder + "/model.safetensors")
        let config = try JSON.parse(contentsOf: folder + "/config.json")
        let (d, heads) = (try config.requireInt("hidden_size"), try config.requireInt("num_attention_heads"))
        let kvHeads = try config.int("num_key_value_heads") ?? heads
        let layers = try (0..<config.requireInt("num_hidden_layers")).map { try MyLayer(store, $0, heads: heads, kvHeads: kvHeads, headDim: d / heads) }
        let (embed, head, norm) = (try store.tensor("model.embed_tokens.weight"), try store.tensor("lm_head.weight"), try store.tensor("model.norm.weight"))

        // A prompt: 6 text tokens, 48 "image" tokens (random features), 6 text tokens.
        var random = SplitMix64(seed: 7)
        let text = embed.toFloat32().gatherRows((0..<12).map { _ in Int(random.next() % UInt64(embed.shape[0])) }).floats
        let image = (0..<(48 * d)).map { _ in Float(random.next() >> 40) / Float(1 << 24) - 0.5 }
        let prompt = TokenState(hidden: Tensor(shape: [60, d], values: Array(text[..<(6 * d)]) + image + text[(6 * d)...]),
                                isImage: (0..<60).map { $0 >= 6 && $0 < 54 })

        var fullLogits: [Float] = []
        for (name, schedule) in [("full model", DropSchedule.none), ("PyramidDrop", try .pyramid(boundaries: [1, 2, 3], lambda: 0.5))] {
            let wrapper = try PyramidWrapper(layers: layers, schedule: schedule, ranker: AttentionRanker.pyramidDrop())
            var caches = wrapper.makeCaches()
            let start = Date()
            let (state, trace) = wrapper.prefill(prompt, caches: &caches)
            let seconds = Date().timeIntervalSince(start)
            let last = GEMM.linear(Normalization.rmsNorm(state.hidden.gatherRows([state.count - 1]), weight: norm, eps: 1e-5), weight: head)
            let logits = last.floats
            if fullLogits.isEmpty { fullLogits = logits }
            let delta = zip(logits, fullLogits).map { abs($0 - $1) }.max()!
            print("\(name): image tokens per layer \(trace.imageTokensPerLayer), \(String(format: "%.1f", seconds * 1000)) ms, "
                + "next token \(logits.indices.max { logits[$0] < logits[$1] }!), max |Δ logit| vs full \(delta)")
            for stage in trace.stages { print("  before layer \(stage.layer) kept image tokens \(stage.kept)") }
        }
    }
}
