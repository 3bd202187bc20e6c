// Retrofit PyramidDrop onto a decoder you wrote yourself: conform its layer type to `DecoderLayer`
// and the model to `LanguageModel`, and the library's `Generator` runs it with any token policy.
// Usage: swift run WrapModel [MODEL_FOLDER [TENSOR_PREFIX]]
// (default: the language model of the tiny random LLaVA under Tests/Fixtures/llava/tiny-llava-hf).
import Foundation
import PyramidDrop
import Tensors
import Tokenizer
import Transformer
import WeightIO

/// A plain LLaMA layer of our own, read from a `WeightStore` by name.
struct MyLayer: DecoderLayer {
    let w: [String: Tensor], heads: Int, kvHeads: Int, rope: RoPE

    init(_ store: WeightStore, _ prefix: String, heads: Int, kvHeads: Int, headDim: Int) throws {
        let names = ["input_layernorm", "post_attention_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                     "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]
        w = try Dictionary(uniqueKeysWithValues: names.map { ($0, try store.tensor("\(prefix).\($0).weight").toFloat32()) })
        (self.heads, self.kvHeads, rope) = (heads, kvHeads, RoPE(headDim: headDim, theta: 10_000))
    }

    func norm(_ x: Tensor, _ name: String) -> Tensor { Normalization.rmsNorm(x, weight: w[name]!, eps: 1e-5) }
    func linear(_ x: Tensor, _ name: String) -> Tensor { GEMM.linear(x, weight: w[name]!) }

    // What the wrapper runs: the layer over the current tokens, keys/values into the cache.
    func forward(_ state: inout TokenState, cache: inout any KVStore) {
        let x = norm(state.hidden, "input_layernorm")
        var q = linear(x, "self_attn.q_proj"), k = linear(x, "self_attn.k_proj")
        rope.apply(&q, positions: state.positions)
        rope.apply(&k, positions: state.positions)
        cache.append(keys: k, values: linear(x, "self_attn.v_proj"))
        state.hidden.add(linear(Attention.causal(queries: q, store: cache, heads: heads, kvHeads: kvHeads), "self_attn.o_proj"))
        let h = norm(state.hidden, "post_attention_layernorm")
        var gate = linear(h, "mlp.gate_proj")
        Activation.silu.apply(&gate)
        gate.multiply(linear(h, "mlp.up_proj"))
        state.hidden.add(linear(gate, "mlp.down_proj"))
    }

    // What PyramidDrop ranks with: this layer's attention of some query rows over all tokens.
    func attention(of queries: [Int], in state: TokenState) -> Tensor {
        let x = norm(state.hidden, "input_layernorm")
        var q = linear(x.gatherRows(queries), "self_attn.q_proj"), k = linear(x, "self_attn.k_proj")
        rope.apply(&q, positions: queries.map { state.positions[$0] })
        rope.apply(&k, positions: state.positions)
        return Attention.meanProbabilities(queries: q, keys: k, queryRows: queries, heads: heads, kvHeads: kvHeads)
    }
}

/// Our own model around the layers: what `Generator` needs to decode.
struct MyModel: LanguageModel {
    let embedding: Tensor, norm: Tensor, lmHead: Tensor, layers: [MyLayer], shape: DecoderShape

    var vocabularySize: Int { embedding.shape[0] }
    var decoderLayers: [any DecoderLayer] { layers }
    func embed(_ ids: [Int]) throws -> Tensor { embedding.gatherRows(ids) }
    func finalNorm(_ hidden: Tensor) -> Tensor { Normalization.rmsNorm(hidden, weight: norm, eps: 1e-5) }
    func head(_ normalized: Tensor) -> Tensor { GEMM.linear(normalized, weight: lmHead) }
}

@main struct WrapModel {
    static func main() throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let folder = arguments.first ?? "Tests/Fixtures/llava/tiny-llava-hf"
        let prefix = arguments.count > 1 ? arguments[1] : (arguments.isEmpty ? "language_model." : "")
        let store = try WeightStore(path: folder)
        let file = try JSON.parse(contentsOf: folder + "/config.json")
        let config = file["text_config"] ?? file
        let (d, heads) = (try config.requireInt("hidden_size"), try config.requireInt("num_attention_heads"))
        let kvHeads = try config.int("num_key_value_heads") ?? heads
        let layers = try (0..<config.requireInt("num_hidden_layers")).map {
            try MyLayer(store, "\(prefix)model.layers.\($0)", heads: heads, kvHeads: kvHeads, headDim: d / heads)
        }
        let model = MyModel(embedding: try store.tensor("\(prefix)model.embed_tokens.weight").toFloat32(),
                            norm: try store.tensor("\(prefix)model.norm.weight").toFloat32(),
                            lmHead: try store.tensor("\(prefix)lm_head.weight").toFloat32(), layers: layers,
                            shape: DecoderShape(hiddenSize: d, intermediateSize: try config.requireInt("intermediate_size"),
                                                layerCount: layers.count, headCount: heads, kvHeadCount: kvHeads, headDim: d / heads))
        let tokenizer = FileManager.default.fileExists(atPath: folder + "/tokenizer.json") ? try Tokenizer(folder: folder) : nil

        // A prompt: text, 48 "image" tokens (random features standing in for a vision tower), text.
        var random = SplitMix64(seed: 7)
        let ids = (0..<12).map { _ in Int(random.next() % UInt64(model.vocabularySize)) }
        let text = try model.embed(ids).floats
        let image = (0..<(48 * d)).map { _ in Float(random.next() >> 40) / Float(1 << 24) - 0.5 }
        let prompt = TokenState(hidden: Tensor(shape: [60, d], values: Array(text[..<(6 * d)]) + image + text[(6 * d)...]),
                                isImage: (0..<60).map { $0 >= 6 && $0 < 54 })

        let quarters = PyramidDropPolicy.quarterPoints(layerCount: layers.count)
        for policy in [KeepAllPolicy(), try PyramidDropPolicy(boundaries: quarters, lambda: 0.5)] as [any TokenPolicy] {
            let result = try Generator(model: model, policy: policy)
                .generate(prompt: prompt, options: GenerationOptions(maxNewTokens: 12, stopTokenIDs: []))
            let answer = tokenizer.map { "\"\($0.decode(result.tokens))\"" } ?? "\(result.tokens)"
            print("\(policy.name): image tokens per layer \(result.trace.imageTokensPerLayer), "
                + "prefill \(String(format: "%.1f", result.prefillSeconds * 1000)) ms, generated \(answer)")
            for stage in result.trace.stages { print("  before layer \(stage.layer) kept image tokens \(stage.kept)") }
        }
    }
}
