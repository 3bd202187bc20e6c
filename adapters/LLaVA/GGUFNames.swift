/// The tensor names llama.cpp's converters write for a LLaVA pair, against the canonical names of
/// `TensorNameMap`: the text model as `convert_hf_to_gguf.py` names a LLaMA (`token_embd`,
/// `blk.N.attn_q`, …, `output_norm`, `output`) and the `mmproj` file as the LLaVA image-encoder
/// converter names CLIP and the projector (`v.*`, `mm.0`, `mm.2`, `model.image_newline`).
public enum GGUFNames {
    /// Whole-model text tensors: (GGUF name, canonical name).
    static let textModel = [
        ("token_embd.weight", "language_model.embed_tokens.weight"),
        ("output_norm.weight", "language_model.norm.weight"),
        ("output.weight", "lm_head.weight"),
    ]

    /// Per-layer text tensors after `blk.N.` / `language_model.layers.N.`.
    static let textLayer = [
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
    static let visionModel = [
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
    static let visionLayer = [
        ("attn_q.weight", "self_attn.q_proj.weight"), ("attn_q.bias", "self_attn.q_proj.bias"),
        ("attn_k.weight", "self_attn.k_proj.weight"), ("attn_k.bias", "self_attn.k_proj.bias"),
        ("attn_v.weight", "self_attn.v_proj.weight"), ("attn_v.bias", "self_attn.v_proj.bias"),
        ("attn_out.weight", "self_attn.out_proj.weight"), ("attn_out.bias", "self_attn.out_proj.bias"),
        ("ln1.weight", "layer_norm1.weight"), ("ln1.bias", "layer_norm1.bias"),
        ("ln2.weight", "layer_norm2.weight"), ("ln2.bias", "layer_norm2.bias"),
        ("ffn_down.weight", "mlp.fc1.weight"), ("ffn_down.bias", "mlp.fc1.bias"),
        ("ffn_up.weight", "mlp.fc2.weight"), ("ffn_up.bias", "mlp.fc2.bias"),
    ]

    /// The canonical name of GGUF tensor `name` under `model` / `layer` tables with layer
    /// prefixes `stored` (GGUF) and `canonical`, or nil when no entry matches.
    static func canonical(_ name: String, model: [(String, String)], layer: [(String, String)],
                          stored: String, canonical: String) -> String? {
        if let entry = model.first(where: { $0.0 == name }) { return entry.1 }
        guard name.hasPrefix(stored) else { return nil }
        let rest = name.dropFirst(stored.count)
        guard let dot = rest.firstIndex(of: "."), let index = Int(rest[..<dot]), index >= 0,
              String(index) == rest[..<dot] else { return nil }
        let suffix = String(rest[rest.index(after: dot)...])
        return layer.first { $0.0 == suffix }.map { "\(canonical)\(index).\($0.1)" }
    }

    /// The GGUF name of canonical tensor `name` (the inverse of `canonical`).
    static func stored(_ name: String, model: [(String, String)], layer: [(String, String)],
                       stored: String, canonical: String) -> String? {
        if let entry = model.first(where: { $0.1 == name }) { return entry.0 }
        guard name.hasPrefix(canonical) else { return nil }
        let rest = name.dropFirst(canonical.count)
        guard let dot = rest.firstIndex(of: "."), let index = Int(rest[..<dot]) else { return nil }
        let suffix = String(rest[rest.index(after: dot)...])
        return layer.first { $0.1 == suffix }.map { "\(stored)\(index).\($0.0)" }
    }

    static let textLayerPrefix = (stored: "blk.", canonical: "language_model.layers.")
    static let visionLayerPrefix = (stored: "v.blk.", canonical: "vision_tower.encoder.layers.")

    /// The canonical name of a text-model GGUF tensor.
    public static func textCanonical(_ name: String) -> String? {
        canonical(name, model: textModel, layer: textLayer, stored: textLayerPrefix.stored, canonical: textLayerPrefix.canonical)
    }

    /// The canonical name of an mmproj GGUF tensor (legacy `fc1 → ffn_down` naming).
    public static func visionCanonical(_ name: String) -> String? {
        canonical(name, model: visionModel, layer: visionLayer, stored: visionLayerPrefix.stored, canonical: visionLayerPrefix.canonical)
    }

    /// The text-model GGUF name of a canonical tensor.
    public static func textStored(_ name: String) -> String? {
        stored(name, model: textModel, layer: textLayer, stored: textLayerPrefix.stored, canonical: textLayerPrefix.canonical)
    }

    /// The mmproj GGUF name of a canonical tensor (legacy naming, which llama.cpp reads by shape).
    public static func visionStored(_ name: String) -> String? {
        stored(name, model: visionModel, layer: visionLayer, stored: visionLayerPrefix.stored, canonical: visionLayerPrefix.canonical)
    }

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
