import Foundation
import Imaging
import LLaVA
import Tensors
import Tokenizer
import Transformer
import WeightIO

/// Plans the llava-hf folder of a GGUF pair (`pdrop convert --from PAIR_FOLDER --to DIR`): every
/// tensor under its llava-hf name as `LLaVACheckpoint(gguf:)` serves it (the query and key rows
/// un-permuted, block formats dequantized), stored in the chosen dtype — by default F16, BF16 and
/// F32 as the file holds them and the block formats as F16 —, and the files a llava-hf folder
/// has: `config.json` (`LlavaForConditionalGeneration` or `LlavaNextForConditionalGeneration`,
/// its text and vision configs from the `llama.*` and `clip.*` keys), `preprocessor_config.json`
/// (the CLIP processor at the tower's size, the mmproj's mean and std), and the tokenizer as
/// `tokenizer.model` + `tokenizer_config.json` (`Tokenizer.sentencePieceFiles`). The vision tower
/// is the layers the mmproj holds (llama.cpp's converter leaves out those past the feature
/// layer), so the config names the last of them as the feature layer.
enum GGUFImport {
    static func plan(_ pair: GGUFPair, options: ConversionOptions) throws -> ConversionPlan {
        guard options.layout == .huggingFace else {
            throw ConversionError.unsupportedConfig(path: pair.model.path, field: "--layout",
                                                    reason: "a GGUF pair converts to llava-hf only, not \(options.layout.rawValue)")
        }
        let checkpoint = try LLaVACheckpoint(gguf: pair)
        let weights = checkpoint.weights
        let next = checkpoint.config.aspectMode == .anyres
        let recipes = try weights.names.map { name in
            let info = weights.info(name)!
            let kept = [DType.f32, .f16, .bf16].contains(info.dtype) ? nil : DType.f16
            return try TensorRecipe(name: name, canonical: name, store: weights, sourceName: name, dtype: options.dtype ?? kept)
        }
        let tokenizer = try Tokenizer.sentencePieceFiles(gguf: pair.model)
        let declared = options.dtype ?? (recipes.first { $0.name.hasSuffix("embed_tokens.weight") }?.dtype ?? .f16)
        var config = checkpoint.config
        guard let image = config.imageTokenIndex ?? tokenizer.ids["<image>"] else {
            throw ConversionError.unsupportedConfig(path: pair.model.path, field: "tokenizer.ggml.tokens",
                                                    reason: "no <image> token to name as image_token_index")
        }
        config.imageTokenIndex = image
        let padID = tokenizer.configuration.padToken.flatMap { tokenizer.ids[$0.content] }
        let files: [String: [UInt8]] = [
            "config.json": Self.bytes(try Self.config(config, padID: padID, dtype: declared, next: next)),
            "preprocessor_config.json": Self.bytes(Self.preprocessor(config, statistics: try pair.imageStatistics(), next: next)),
            "tokenizer.model": tokenizer.model,
            "tokenizer_config.json": Self.bytes(Self.tokenizerConfig(tokenizer)),
        ]
        let notes = [
            "tokenizer from \(pair.model.path): tokenizer.model (SentencePiece BPE) + tokenizer_config.json",
            "vision tower: the \(config.vision.shape.layerCount) layers the mmproj holds, the last one the feature layer",
        ]
        return ConversionPlan(sourceLayout: .huggingFace, targetLayout: .huggingFace, isNeXT: next,
                              folders: [.init(relativePath: "", tensors: recipes, files: files)],
                              droppedTensors: [], skippedTensors: [], ignoredFiles: [], notes: notes)
    }

    private static func bytes(_ json: JSON) -> [UInt8] { Array((json.serialized(pretty: true) + "\n").utf8) }

    /// A float as its shortest decimal (`1e-05`, not 9.99999974e-06).
    private static func decimal(_ value: Float) -> JSON { .double(Double("\(value)")!) }


    /// LLaVA-NeXT's grid pinpoints as llava-hf lists them, height first.
    private static func pinpoints(_ config: LLaVAConfig) -> JSON {
        .array(config.gridPinpoints.map { .array([.int($0.height), .int($0.width)]) })
    }

    /// The llava-hf `config.json` of `config`.
    static func config(_ config: LLaVAConfig, padID: Int?, dtype: DType, next: Bool) throws -> JSON {
        guard case .clip(let clip) = config.vision else {
            throw ConversionError.unsupportedConfig(path: "mmproj", field: "vision", reason: "only a CLIP tower is written")
        }
        let text = config.text
        var textConfig: [String: JSON] = [
            "model_type": .string(text.modelType), "hidden_size": .int(text.hiddenSize),
            "intermediate_size": .int(text.intermediateSize), "num_hidden_layers": .int(text.layerCount),
            "num_attention_heads": .int(text.headCount), "num_key_value_heads": .int(text.kvHeadCount),
            "head_dim": .int(text.headDim), "vocab_size": .int(text.vocabularySize), "rms_norm_eps": decimal(text.rmsNormEps),
            "rope_theta": decimal(text.ropeTheta), "max_position_embeddings": .int(text.maxPositionEmbeddings),
            "tie_word_embeddings": .bool(text.tieWordEmbeddings), "hidden_act": .string(text.hiddenAct.rawValue),
            "attention_bias": .bool(false), "mlp_bias": .bool(text.mlpBias),
            "eos_token_id": text.eosTokenIDs.count == 1 ? .int(text.eosTokenIDs[0]) : .array(text.eosTokenIDs.map(JSON.int)),
        ]
        if let bos = text.bosTokenID { textConfig["bos_token_id"] = .int(bos) }
        if let padID { textConfig["pad_token_id"] = .int(padID) }
        var vision = ConfigTranslation.visionConfig(clip)
        vision["model_type"] = .string("clip_vision_model")
        var root: [String: JSON] = [
            "architectures": .array([.string(next ? "LlavaNextForConditionalGeneration" : "LlavaForConditionalGeneration")]),
            "model_type": .string(next ? "llava_next" : "llava"),
            "projector_hidden_act": .string(config.projectorActivation.rawValue),
            "multimodal_projector_bias": .bool(config.projectorBias),
            "vision_feature_layer": config.featureLayers.count == 1 ? .int(config.featureLayers[0]) : .array(config.featureLayers.map(JSON.int)),
            "vision_feature_select_strategy": .string(config.selection.rawValue),
            "image_seq_length": .int(clip.patchCount),
            "tie_word_embeddings": .bool(text.tieWordEmbeddings),
            "torch_dtype": .string(ConfigTranslation.torchName(dtype)),
            "text_config": .object(textConfig),
            "vision_config": .object(vision),
        ]
        if let image = config.imageTokenIndex { root["image_token_index"] = .int(image) }
        if let padID { root["pad_token_id"] = .int(padID) }
        if next {
            root["image_grid_pinpoints"] = pinpoints(config)
        }
        return .object(root)
    }

    /// The CLIP image processor at the tower's input size with the mmproj's mean and std (CLIP's
    /// own where the file has none); LLaVA-NeXT's with its pinpoints.
    static func preprocessor(_ config: LLaVAConfig, statistics: (mean: [Double], std: [Double])?, next: Bool) -> JSON {
        let side = config.vision.imageSize
        var root: [String: JSON] = [
            "image_processor_type": .string(next ? "LlavaNextImageProcessor" : "CLIPImageProcessor"),
            "crop_size": .object(["height": .int(side), "width": .int(side)]), "size": .object(["shortest_edge": .int(side)]),
            "do_center_crop": .bool(true), "do_convert_rgb": .bool(true), "do_normalize": .bool(true), "do_rescale": .bool(true),
            "do_resize": .bool(true), "resample": .int(3), "rescale_factor": .double(1.0 / 255.0),
            "image_mean": .array((statistics?.mean ?? CLIPPreprocessor.clipMean).map(JSON.double)),
            "image_std": .array((statistics?.std ?? CLIPPreprocessor.clipStd).map(JSON.double)),
        ]
        if next {
            root["image_grid_pinpoints"] = pinpoints(config)
        }
        return .object(root)
    }

    /// `tokenizer_config.json`: the named tokens, `add_bos_token` / `add_eos_token`, the
    /// non-legacy `▁` prefix transformers gives a GGUF vocabulary, the chat template and every
    /// added token by id.
    static func tokenizerConfig(_ files: SentencePieceFiles) -> JSON {
        let settings = files.configuration
        var root: [String: JSON] = [
            "tokenizer_class": .string("LlamaTokenizer"), "legacy": .bool(false),
            "add_bos_token": .bool(settings.addBOSToken ?? true), "add_eos_token": .bool(settings.addEOSToken ?? false),
            "added_tokens_decoder": .object(Dictionary(uniqueKeysWithValues: files.addedTokens.map { token in
                ("\(token.id)", JSON.object(["content": .string(token.content), "special": .bool(token.special),
                                              "normalized": .bool(false), "lstrip": .bool(false), "rstrip": .bool(false),
                                              "single_word": .bool(false)]))
            })),
        ]
        let named = [("bos_token", settings.bosToken), ("eos_token", settings.eosToken), ("unk_token", settings.unkToken),
                     ("pad_token", settings.padToken)]
        for (field, token) in named { root[field] = token.map { .string($0.content) } ?? .null }
        if let template = settings.chatTemplate { root["chat_template"] = .string(template) }
        return .object(root)
    }
}
