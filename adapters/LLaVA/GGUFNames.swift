/// The tensor names llama.cpp's converters write for a LLaVA pair, against the canonical names of
/// `TensorNameMap`: the text model as `convert_hf_to_gguf.py` names a LLaMA (`token_embd`,
/// `blk.N.attn_q`, …, `output_norm`, `output`) and the `mmproj` file as the LLaVA image-encoder
/// converter names CLIP and the projector (`v.*`, `mm.0`, `mm.2`, `model.image_newline`).
public enum GGUFNames {
    /// One file's names: whole-model tensors, and per-layer tensors after a layer prefix
    /// (`blk.N.` / `language_model.layers.N.`), as (GGUF name, canonical name) pairs.
    public struct Table: Sendable {
        let model: [(gguf: String, canonical: String)]
        let layer: [(gguf: String, canonical: String)]
        let layerPrefix: (gguf: String, canonical: String)

        /// The canonical name of GGUF tensor `name`, or nil when no entry matches.
        public func canonical(_ name: String) -> String? {
            if let entry = model.first(where: { $0.gguf == name }) { return entry.canonical }
            guard let (index, suffix) = Self.layer(of: name, after: layerPrefix.gguf) else { return nil }
            return layer.first { $0.gguf == suffix }.map { "\(layerPrefix.canonical)\(index).\($0.canonical)" }
        }

        /// The GGUF name of canonical tensor `name` (the inverse of `canonical`).
        public func gguf(_ name: String) -> String? {
            if let entry = model.first(where: { $0.canonical == name }) { return entry.gguf }
            guard let (index, suffix) = Self.layer(of: name, after: layerPrefix.canonical) else { return nil }
            return layer.first { $0.canonical == suffix }.map { "\(layerPrefix.gguf)\(index).\($0.gguf)" }
        }

        /// The layer index and the rest of `name` after `prefix` + a decimal index + `.`.
        static func layer(of name: String, after prefix: String) -> (Int, String)? {
            guard name.hasPrefix(prefix) else { return nil }
            let rest = name.dropFirst(prefix.count)
            guard let dot = rest.firstIndex(of: "."), let index = Int(rest[..<dot]), index >= 0, String(index) == rest[..<dot] else { return nil }
            return (index, String(rest[rest.index(after: dot)...]))
        }
    }

    /// The text model's names (`convert_hf_to_gguf.py`'s LLaMA).
    public static let text = Table(model: textModel, layer: textLayer, layerPrefix: ("blk.", "language_model.layers."))

    /// The mmproj file's names (the LLaVA image-encoder converter's; legacy `fc1 → ffn_down`,
    /// which llama.cpp reads by shape).
    public static let vision = Table(model: visionModel, layer: visionLayer, layerPrefix: ("v.blk.", "vision_tower.encoder.layers."))

   /// Whole-model text tensors: (GGUF name, canonical name).
    private static let textModel: [(gguf: String, canonical: String)] = [
        ("token_embd.weight", "language_model.embed_tokens.weight"),
        ("output_norm.weight", "language_model.norm.weight"),
        ("output.weight", "lm_head.weight"),
    ]

    /// Per-layer text tensors after `blk.N.` / `language_model.layers.N.`.
    private static let textLayer: [(gguf: String, canonical: String)] = [
        ("attn_norm.weight", "input_layernorm.weight"),
        ("attn_q.weight", "self_attn.q_proj.weight"), ("attn_q.bias", "self_attn.q_proj.bias"),
        ("attn_k.weight", "self_attn.k_proj.weight"), ("attn_k.bias", "self_attn.k_proj.bias"),
        ("attn_v.weight", "self_attn.v_proj.weight"), ("attn_v.bias", "self_attn.v_proj.bias"),
        ("attn_output.weight", "self_attn.o_proj.weight"), ("attn_output.bias", "self_attn.o_proj.bias"),
        ("ffn_norm.weight", "post_attention_layernorm.weight"),
        ("ffn_gate.weight", "mlp.gate_proj.weight"), ("ffn_gate.bias", "mlp.gate_proj.bias"),
        ("ffn_up.weight", "mlp.up_proj.weight"), ("ffn_up.bias", "mlp.up_proj.bias"),
        ("ffn_down.weight", "mlp.down_proj.weight"), ("ffn_down.bias", "mlp.down_proj.bias"),
    ]

    /// Whole-model mmproj tensors.
    private static let visionModel: [(gguf: String, canonical: String)] = [
        ("v.class_embd", "vision_tower.embeddings.class_embedding"),
        ("v.patch_embd.weight", "vision_tower.embeddings.patch_embedding.weight"),
        ("v.position_embd.weight", "vision_tower.embeddings.position_embedding.weight"),
        ("v.pre_ln.weight", "vision_tower.pre_layrnorm.weight"), ("v.pre_ln.bias", "vision_tower.pre_layrnorm.bias"),
        ("v.post_ln.weight", "vision_tower.post_layernorm.weight"), ("v.post_ln.bias", "vision_tower.post_layernorm.bias"),
        ("mm.0.weight", "multi_modal_projector.linear_1.weight"), ("mm.0.bias", "multi_modal_projector.linear_1.bias"),
        ("mm.2.weight", "multi_modal_projector.linear_2.weight"), ("mm.2.bias", "multi_modal_projector.linear_2.bias"),
        ("model.image_newline", "image_newline"),
    ]

    /// Per-layer mmproj tensors after `v.blk.N.` / `vision_tower.encoder.layers.N.`. The legacy
    /// converter writes CLIP's `fc1` as `ffn_down` and `fc2` as `ffn_up` (as here); newer ones
    /// the other way round, told apart by shape (`visionOrigins`).
    private static let visionLayer: [(gguf: String, canonical: String)] = [
        ("attn_q.weight", "self_attn.q_proj.weight"), ("attn_q.bias", "self_attn.q_proj.bias"),
        ("attn_k.weight", "self_attn.k_proj.weight"), ("attn_k.bias", "self_attn.k_proj.bias"),
        ("attn_v.weight", "self_attn.v_proj.weight"), ("attn_v.bias", "self_attn.v_proj.bias"),
        ("attn_out.weight", "self_attn.out_proj.weight"), ("attn_out.bias", "self_attn.out_proj.bias"),
        ("ln1.weight", "layer_norm1.weight"), ("ln1.bias", "layer_norm1.bias"),
        ("ln2.weight", "layer_norm2.weight"), ("ln2.bias", "layer_norm2.bias"),
        ("ffn_down.weight", "mlp.fc1.weight"), ("ffn_down.bias", "mlp.fc1.bias"),
        ("ffn_up.weight", "mlp.fc2.weight"), ("ffn_up.bias", "mlp.fc2.bias"),
    ]

    /// The text tensors a LLaMA of `layers` layers must have (biases and `output.weight` are optional).
    static func requiredText(layers: Int) -> [String] {
        let perLayer = ["attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"]
        return ["token_embd.weight", "output_norm.weight"] + (0..<layers).flatMap { i in perLayer.map { "blk.\(i).\($0).weight" } }
    }

    /// The mmproj tensors a CLIP tower of `layers` layers and LLaVA's projector must have
    /// (`model.image_newline` for LLaVA-NeXT).
    static func requiredVision(layers: Int, newline: Bool) -> [String] {
        let perLayer = ["attn_q", "attn_k", "attn_v", "attn_out", "ln1", "ln2", "ffn_up", "ffn_down"].flatMap { ["\($0).weight", "\($0).bias"] }
        return ["v.class_embd", "v.patch_embd.weight", "v.position_embd.weight", "v.pre_ln.weight", "v.pre_ln.bias",
                "mm.0.weight", "mm.0.bias", "mm.2.weight", "mm.2.bias"] + (newline ? ["model.image_newline"] : [])
            + (0..<layers).flatMap { i in perLayer.map { "v.blk.\(i).\($0)" } }
    }

    /// The rows llama.cpp's `LlamaModel.permute` moved, undone: within each of `heads` heads its
    /// converter interleaves the two rotary halves (row `2i + j` holds Hugging Face row
    /// `j · headDim/2 + i`), so Hugging Face row `h·headDim + j·headDim/2 + i` is stored row
    /// `h·headDim + 2i + j`.
    public static func unpermutedRows(heads: Int, headDim: Int) -> [Int] {
        let half = headDim / 2
        var order = [Int](repeating: 0, count: heads * headDim)
        for h in 0..<heads {
            for j in 0..<2 {
                for i in 0..<half { order[h * headDim + j * half + i] = h * headDim + 2 * i + j }
            }
        }
        return order
    }

    /// The inverse row order (what the converter does): stored row `h·headDim + 2i + j` is Hugging
    /// Face row `h·headDim + j·headDim/2 + i`.
    public static func permutedRows(heads: Int, headDim: Int) -> [Int] {
        let unpermuted = unpermutedRows(heads: heads, headDim: headDim)
        var order = [Int](repeating: 0, count: unpermuted.count)
        for (served, stored) in unpermuted.enumerated() { order[stored] = served }
        return order
    }
}
