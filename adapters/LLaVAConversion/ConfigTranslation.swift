import Tensors
import Transformer
import WeightIO

/// `config.json` between the two styles: llava-hf's nested `text_config` / `vision_config` with
/// `image_token_index`, `vision_feature_*` and `projector_hidden_act`, and the original
/// repository's flat LLaMA config plus `mm_*` fields, `image_aspect_ratio` and (w, h) pinpoints.
enum ConfigTranslation {
    typealias Object = [String: JSON]

    /// Fields of a flat original config that belong to LLaVA, not to the text model.
    static func isLLaVAOnlyField(_ key: String) -> Bool {
        ["mm_", "image_", "tune_", "freeze_", "unfreeze_", "tokenizer_", "s2"].contains { key.hasPrefix($0) }
            || ["architectures", "model_type", "use_mm_proj", "vision_tower", "transformers_version", "pad_token_id"].contains(key)
    }

    /// The original `mm_vision_select_feature` of each llava-hf `vision_feature_select_strategy`.
    private static let featureStrategies: [(feature: String, strategy: String)] = [("patch", "default"), ("cls_patch", "full")]

    /// Pinpoint pairs with their two numbers swapped ((w, h) ⇄ [h, w]).
    static func swappedPinpoints(_ value: JSON, path: String) throws -> JSON {
        guard let list = value.arrayValue else {
            throw ConversionError.unsupportedConfig(path: path, field: "image_grid_pinpoints", reason: "expected a list of pairs, found \(value.kindName)")
        }
        return .array(try list.map { item in
            guard let pair = item.arrayValue, pair.count == 2, pair[0].intValue != nil, pair[1].intValue != nil else {
                throw ConversionError.unsupportedConfig(path: path, field: "image_grid_pinpoints", reason: "entries must be pairs of integers")
            }
            return .array([pair[1], pair[0]])
        })
    }

    private static func int(_ object: Object, _ key: String, path: String) throws -> Int? {
        guard let value = object[key], value != .null else { return nil }
        guard let number = value.intValue else {
            throw ConversionError.unsupportedConfig(path: path, field: key, reason: "expected an integer, found \(value.kindName)")
        }
        return number
    }

    private static func string(_ object: Object, _ key: String, path: String) throws -> String? {
        guard let value = object[key], value != .null else { return nil }
        guard let text = value.stringValue else {
            throw ConversionError.unsupportedConfig(path: path, field: key, reason: "expected a string, found \(value.kindName)")
        }
        return text
    }

    /// Image tokens per tower input for a vision config (`(image_size / patch_size)²`).
    static func patchCount(_ vision: Object, path: String) throws -> Int {
        try CLIPVisionConfig(json: .object(vision), source: path).patchCount
    }

    /// The llava-hf config of an original checkpoint: `text_config` is the flat LLaMA fields
    /// (model_type `llama`, or `mistral` for `llava_mistral`), `vision_config` the CLIP config.
    static func huggingFace(fromOriginal flat: Object, path: String, vision: Object, imageID: Int, padID: Int,
                            vocabulary: Int, next: Bool) throws -> Object {
        var text = flat.filter { !isLLaVAOnlyField($0.key) }
        let sourceType = try string(flat, "model_type", path: path) ?? "llava"
        switch sourceType {
        case "llava", "llava_llama", "llama": text["model_type"] = .string("llama")
        case "llava_mistral", "mistral": text["model_type"] = .string("mistral")
        default: throw ConversionError.unsupportedConfig(path: path, field: "model_type", reason: "'\(sourceType)' is not a LLaMA or Mistral LLaVA")
        }
        text["vocab_size"] = .int(vocabulary)
        text["pad_token_id"] = .int(padID)
        let projector = try string(flat, "mm_projector_type", path: path) ?? "linear"
        guard projector == "mlp2x_gelu" else {
            throw ConversionError.unsupportedConfig(path: path, field: "mm_projector_type", reason: "'\(projector)' is not supported (only mlp2x_gelu)")
        }
        let feature = try string(flat, "mm_vision_select_feature", path: path) ?? "patch"
        guard let strategy = featureStrategies.first(where: { $0.feature == feature })?.strategy else {
            throw ConversionError.unsupportedConfig(path: path, field: "mm_vision_select_feature", reason: "'\(feature)' is not 'patch' or 'cls_patch'")
        }
        var vision = vision
        vision["model_type"] = vision["model_type"] ?? .string("clip_vision_model")
        var root: Object = [
            "architectures": .array([.string(next ? "LlavaNextForConditionalGeneration" : "LlavaForConditionalGeneration")]),
            "model_type": .string(next ? "llava_next" : "llava"),
            "image_token_index": .int(imageID),
            "pad_token_id": .int(padID),
            "projector_hidden_act": .string("gelu"),
            "multimodal_projector_bias": .bool(true),
            "vision_feature_layer": .int(try int(flat, "mm_vision_select_layer", path: path) ?? -2),
            "vision_feature_select_strategy": .string(strategy),
            "image_seq_length": .int(try patchCount(vision, path: path)),
            "tie_word_embeddings": flat["tie_word_embeddings"] ?? .bool(false),
            "text_config": .object(text),
            "vision_config": .object(vision),
        ]
        if next, let pinpoints = flat["image_grid_pinpoints"], pinpoints != .null {
            root["image_grid_pinpoints"] = try swappedPinpoints(pinpoints, path: path)
        }
        for key in ["transformers_version", "torch_dtype", "dtype"] where flat[key] != nil { root[key] = flat[key] }
        return root
    }

    /// The original config of a llava-hf checkpoint: `text_config` flattened with the real
    /// vocabulary, plus `mm_*` fields. `visionTower` becomes `mm_vision_tower`.
    static func original(fromHuggingFace root: Object, path: String, vocabulary: Int, visionTower: String, next: Bool) throws -> Object {
        guard let text = root["text_config"]?.objectValue else {
            throw ConversionError.unsupportedConfig(path: path, field: "text_config", reason: "missing (not a llava-hf config)")
        }
        let vision = root["vision_config"]?.objectValue ?? [:]
        var flat = text.filter { $0.key != "pad_token_id" }
        flat["vocab_size"] = .int(vocabulary)
        let textType = try string(text, "model_type", path: path) ?? "llama"
        switch textType {
        case "llama":
            flat["model_type"] = .string("llava")
            flat["architectures"] = .array([.string("LlavaLlamaForCausalLM")])
        case "mistral":
            flat["model_type"] = .string("llava_mistral")
            flat["architectures"] = .array([.string("LlavaMistralForCausalLM")])
        default:
            throw ConversionError.unsupportedConfig(path: path, field: "text_config.model_type", reason: "'\(textType)' is not llama or mistral")
        }
        let act = try string(root, "projector_hidden_act", path: path) ?? "gelu"
        guard act == "gelu", root["multimodal_projector_bias"]?.boolValue != false else {
            throw ConversionError.unsupportedConfig(path: path, field: "projector_hidden_act",
                                                    reason: "the original layout only has mlp2x_gelu (GELU, with biases), not '\(act)'")
        }
        if root["vision_feature_layer"]?.arrayValue != nil {
            throw ConversionError.unsupportedConfig(path: path, field: "vision_feature_layer", reason: "a list of layers has no original equivalent")
        }
        let strategy = try string(root, "vision_feature_select_strategy", path: path) ?? "default"
        guard let feature = featureStrategies.first(where: { $0.strategy == strategy })?.feature else {
            throw ConversionError.unsupportedConfig(path: path, field: "vision_feature_select_strategy", reason: "'\(strategy)' is not 'default' or 'full'")
        }
        flat["mm_vision_tower"] = .string(visionTower)
        flat["mm_hidden_size"] = .int(try int(vision, "hidden_size", path: path) ?? 1024)
        flat["mm_projector_type"] = .string("mlp2x_gelu")
        flat["mm_vision_select_layer"] = .int(try int(root, "vision_feature_layer", path: path) ?? -2)
        flat["mm_vision_select_feature"] = .string(feature)
        flat["mm_use_im_start_end"] = .bool(false)
        flat["mm_use_im_patch_token"] = .bool(false)
        flat["image_aspect_ratio"] = .string(next ? "anyres" : "pad")
        if next {
            flat["mm_patch_merge_type"] = .string("spatial_unpad")
            if let pinpoints = root["image_grid_pinpoints"], pinpoints != .null {
                flat["image_grid_pinpoints"] = try swappedPinpoints(pinpoints, path: path)
            }
        }
        for key in ["tie_word_embeddings", "transformers_version", "torch_dtype", "dtype"] where flat[key] == nil && root[key] != nil {
            flat[key] = root[key]
        }
        return flat
    }

    /// The `vision_config` fields of a vision config read off a tower's shapes: the sizes, the
    /// activation and the layer-norm ε (written as the shortest decimal of the `Float`, `1e-05`).
    static func visionConfig(_ vision: CLIPVisionConfig) -> Object {
        ["hidden_size": .int(vision.hiddenSize), "patch_size": .int(vision.patchSize), "image_size": .int(vision.imageSize),
         "num_hidden_layers": .int(vision.layerCount), "num_attention_heads": .int(vision.headCount),
         "intermediate_size": .int(vision.intermediateSize), "hidden_act": .string(vision.hiddenAct.rawValue),
         "layer_norm_eps": .double(Double("\(vision.layerNormEps)")!)]
    }

    /// The `config.json` of a separate CLIP folder holding `vision`.
    static func clipFolder(vision: Object) -> Object {
        var config = vision
        config["model_type"] = .string("clip_vision_model")
        config["architectures"] = .array([.string("CLIPVisionModel")])
        return config
    }

    /// transformers' name of a dtype (`float16`, …).
    static func torchName(_ dtype: DType) -> String {
        switch dtype {
        case .f16: return "float16"
        case .bf16: return "bfloat16"
        default: return "float32"
        }
    }

    /// Sets the declared dtype (`torch_dtype` / `dtype`, top level and nested configs) to `dtype`.
    static func declare(_ dtype: DType, in root: inout Object) {
        let name = JSON.string(torchName(dtype))
        func update(_ object: inout Object, addIfMissing: Bool) {
            var found = false
            for key in ["torch_dtype", "dtype"] where object[key] != nil {
                object[key] = name
                found = true
            }
            if !found, addIfMissing { object["torch_dtype"] = name }
        }
        update(&root, addIfMissing: true)
        for nested in ["text_config", "vision_config"] {
            guard var object = root[nested]?.objectValue else { continue }
            update(&object, addIfMissing: false)
            root[nested] = .object(object)
        }
    }
}
