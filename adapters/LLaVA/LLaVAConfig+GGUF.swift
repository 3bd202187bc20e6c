import Transformer
import WeightIO

extension LLaVAConfig {
    /// The configuration of a llama.cpp GGUF pair: the text model's `llama.*` keys and the
    /// mmproj file's `clip.*` keys, with the tensor shapes where the keys leave them out (the
    /// vocabulary is `token_embd`'s rows; the LM head is tied when `output.weight` is absent).
    ///
    /// - The tower runs every stored layer: the LLaVA converter stores the layers up to LLaVA's
    ///   feature layer (−2) and sets `clip.vision.block_count` to their number, so the last stored
    ///   layer's states are the features (llama.cpp's graph stops one layer earlier,
    ///   ggml-org/llama.cpp#25817). `clip.vision.feature_layer`, when given, lists the hidden states
    ///   as transformers' `vision_feature_layer` does.
    /// - `clip.vision.image_aspect_ratio` `anyres` (with `image_grid_pinpoints`, width first as
    ///   the original LLaVA lists them, and `mm_patch_merge_type` `spatial_unpad`) is LLaVA-NeXT;
    ///   otherwise LLaVA-1.5, whose images the original repository pads to a square.
    /// - Only the `mlp` projector (linear, GELU, linear) is read; other architectures, RoPE
    ///   scaling, partial rotary dimensions and mixtures of experts are refused naming the key.
    public init(gguf text: GGUFFile, mmproj: GGUFFile) throws {
        self.init(text: try Self.textConfig(text), vision: .clip(try Self.visionConfig(mmproj)), imageTokenIndex: nil)
        featureLayers = try mmproj.integers("clip.vision.feature_layer") ?? [-1]
        let projector = try mmproj.string("clip.projector_type") ?? "mlp"
        guard projector == "mlp" else {
            throw GGUFError(path: mmproj.path, problem: "clip.projector_type '\(projector)' is not supported (only mlp, LLaVA's)")
        }
        let aspect = try mmproj.string("clip.vision.image_aspect_ratio")
        let pinpoints = try mmproj.integers("clip.vision.image_grid_pinpoints") ?? []
        if aspect == "anyres" || !pinpoints.isEmpty {
            guard pinpoints.count >= 2, pinpoints.count % 2 == 0, pinpoints.allSatisfy({ $0 > 0 }) else {
                throw GGUFError(path: mmproj.path, problem: "clip.vision.image_grid_pinpoints must be pairs of positive integers for anyres")
            }
            let merge = try mmproj.string("clip.vision.mm_patch_merge_type") ?? "spatial_unpad"
            guard merge == "spatial_unpad" else {
                throw GGUFError(path: mmproj.path, problem: "clip.vision.mm_patch_merge_type '\(merge)' is not supported (only spatial_unpad)")
            }
            aspectMode = .anyres
            modelType = "llava_next"
            gridPinpoints = stride(from: 0, to: pinpoints.count, by: 2).map { (height: pinpoints[$0 + 1], width: pinpoints[$0]) }
        } else {
            aspectMode = .padToSquare
        }
    }

    /// The text model's `LlamaConfig` from `{architecture}.*` keys (architecture `llama`).
    static func textConfig(_ file: GGUFFile) throws -> LlamaConfig {
        let architecture = try file.requiredString("general.architecture")
        guard architecture == "llama" else {
            throw GGUFError(path: file.path, problem: "general.architecture '\(architecture)' is not a text model this tool reads (llama)")
        }
        func key(_ name: String) -> String { "llama.\(name)" }
        let hidden = try file.positiveInteger(key("embedding_length")), heads = try file.positiveInteger(key("attention.head_count"))
        let headDim = try file.integer(key("attention.key_length")) ?? hidden / heads
        if let valueLength = try file.integer(key("attention.value_length")), valueLength != headDim {
            throw GGUFError(path: file.path, problem: "\(key("attention.value_length")) \(valueLength) differs from the key length \(headDim)")
        }
        if let rotary = try file.integer(key("rope.dimension_count")), rotary != headDim {
            throw GGUFError(path: file.path, problem: "\(key("rope.dimension_count")) \(rotary) is a partial rotary embedding (head size \(headDim)), which is not supported")
        }
        if let scaling = try file.string(key("rope.scaling.type")), scaling != "none" {
            throw GGUFError(path: file.path, problem: "\(key("rope.scaling.type")) '\(scaling)': RoPE scaling is not supported")
        }
        if let experts = try file.integer(key("expert_count")), experts > 0 {
            throw GGUFError(path: file.path, problem: "\(key("expert_count")) \(experts): mixtures of experts are not supported")
        }
        guard let embedding = file.tensor(named: "token_embd.weight"), embedding.dimensions.count == 2 else {
            throw GGUFError(path: file.path, problem: "tensor token_embd.weight is missing or not a matrix")
        }
        let eos = try file.integer("tokenizer.ggml.eos_token_id")
        let config = LlamaConfig(modelType: "llama", hiddenSize: hidden, intermediateSize: try file.positiveInteger(key("feed_forward_length")),
                                 layerCount: try file.positiveInteger(key("block_count")), headCount: heads,
                                 kvHeadCount: try file.integer(key("attention.head_count_kv")) ?? heads, headDim: headDim,
                                 vocabularySize: embedding.dimensions[1],
                                 rmsNormEps: Float(try file.number(key("attention.layer_norm_rms_epsilon")) ?? 1e-5),
                                 ropeTheta: Float(try file.number(key("rope.freq_base")) ?? 10000),
                                 tieWordEmbeddings: file.tensor(named: "output.weight") == nil,
                                 bosTokenID: try file.integer("tokenizer.ggml.bos_token_id"), eosTokenIDs: eos.map { [$0] } ?? [],
                                 maxPositionEmbeddings: try file.integer(key("context_length")))
        do {
            try config.validate(source: file.path)
        } catch {
            throw GGUFError(path: file.path, problem: "the llama.* keys do not describe a valid model: \(error)")
        }
        return config
    }

    /// The CLIP tower's config from `clip.vision.*` keys (a vision encoder must be present).
    static func visionConfig(_ file: GGUFFile) throws -> CLIPVisionConfig {
        let architecture = try file.requiredString("general.architecture")
        guard architecture == "clip" else {
            throw GGUFError(path: file.path, problem: "general.architecture '\(architecture)' is not an mmproj file (clip)")
        }
        guard try file.bool("clip.has_vision_encoder") != false else {
            throw GGUFError(path: file.path, problem: "clip.has_vision_encoder is false: no vision tower")
        }
        func key(_ name: String) -> String { "clip.vision.\(name)" }
        let config = CLIPVisionConfig(hiddenSize: try file.positiveInteger(key("embedding_length")),
                                      intermediateSize: try file.positiveInteger(key("feed_forward_length")),
                                      layerCount: try file.positiveInteger(key("block_count")),
                                      headCount: try file.positiveInteger(key("attention.head_count")),
                                      imageSize: try file.positiveInteger(key("image_size")), patchSize: try file.positiveInteger(key("patch_size")),
                                      layerNormEps: Float(try file.number(key("attention.layer_norm_epsilon")) ?? 1e-5),
                                      hiddenAct: try file.bool("clip.use_gelu") == true ? .gelu : .quickGELU)
        do {
            try config.validate(source: file.path)
        } catch {
            throw GGUFError(path: file.path, problem: "the clip.vision.* keys do not describe a valid tower: \(error)")
        }
        return config
    }
}
