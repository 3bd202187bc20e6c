import Foundation
import LLaVA
import Tokenizer
import Transformer
import WeightIO

extension GGUFExport {
    /// ggml's `general.file_type` of a text model whose matrices are `type` (LlamaFileType).
    static func fileType(_ type: GGUFTensorType) -> UInt32 {
        switch type {
        case .f16: return 1
        case .q4_0: return 2
        case .q8_0: return 7
        case .bf16: return 32
        default: return 0
        }
    }

    static func uint(_ value: Int) -> GGUFValue { .uint32(UInt32(clamping: value)) }

    /// The text model's keys, in the order `convert_hf_to_gguf.py` writes them, and the
    /// vocabulary as gguf-py's `LlamaHfVocab` + `SpecialVocab` give it: every token in id order,
    /// score −1000, type control (special added tokens), byte (`<0xNN>`), user-defined (other
    /// added tokens) or normal; the special ids; whether BOS/EOS are added; the chat template.
    /// A GGUF source's `tokenizer.*` keys are carried over as they are.
    static func textMetadata(_ checkpoint: LLaVACheckpoint, tokenizer: Tokenizer, type: GGUFTensorType) throws -> [(key: String, value: GGUFValue)] {
        let text = checkpoint.config.text
        let count = tokenizer.vocabularySize
        guard tokenizer.id(of: "<0x00>") != nil else {
            throw ConversionError.vocabulary(path: checkpoint.folder, reason: "the tokenizer has no <0x00> byte token: not a SentencePiece-style (llama) vocabulary")
        }
        let added = Set(tokenizer.addedTokens.map(\.id))
        var tokens: [GGUFValue] = [], types: [GGUFValue] = []
        for id in 0..<count {
            let token = tokenizer.token(of: id) ?? "[PAD\(id)]"
            tokens.append(.string(token))
            let isByte = token.count == 6 && token.hasPrefix("<0x") && token.hasSuffix(">")
            let kind: Int32 = tokenizer.isSpecial(id) ? 3 : isByte ? 6 : added.contains(id) ? 4 : 1
            types.append(.int32(kind))
        }
        let name = URL(fileURLWithPath: checkpoint.folder).lastPathComponent.replacingOccurrences(of: "-", with: " ").capitalized
        var metadata: [(key: String, value: GGUFValue)] = [
            ("general.architecture", .string("llama")), ("general.type", .string("model")), ("general.name", .string(name)),
            ("llama.block_count", uint(text.layerCount)), ("llama.context_length", uint(text.maxPositionEmbeddings)),
            ("llama.embedding_length", uint(text.hiddenSize)), ("llama.feed_forward_length", uint(text.intermediateSize)),
            ("llama.attention.head_count", uint(text.headCount)), ("llama.attention.head_count_kv", uint(text.kvHeadCount)),
            ("llama.rope.freq_base", .float32(text.ropeTheta)), ("llama.attention.layer_norm_rms_epsilon", .float32(text.rmsNormEps)),
            ("llama.attention.key_length", uint(text.headDim)), ("llama.attention.value_length", uint(text.headDim)),
            ("general.file_type", .uint32(fileType(type))), ("llama.vocab_size", uint(text.vocabularySize)),
            ("llama.rope.dimension_count", uint(text.headDim)),
        ]
        if let source = checkpoint.gguf?.model {
            return metadata + source.metadata.filter { $0.key.hasPrefix("tokenizer.") } + [("general.quantization_version", .uint32(2))]
        }
        metadata += [
            ("tokenizer.ggml.model", .string("llama")), ("tokenizer.ggml.pre", .string("default")),
            ("tokenizer.ggml.tokens", .array(type: 8, tokens)),
            ("tokenizer.ggml.scores", .array(type: 6, [GGUFValue](repeating: .float32(-1000), count: count))),
            ("tokenizer.ggml.token_type", .array(type: 5, types)),
        ]
        for (key, id) in [("bos", tokenizer.bosID), ("eos", tokenizer.eosID), ("unknown", tokenizer.unkID), ("padding", tokenizer.padID)] {
            if let id { metadata.append(("tokenizer.ggml.\(key)_token_id", uint(id))) }
        }
        let probe = tokenizer.encode("a", addSpecialTokens: true)
        metadata.append(("tokenizer.ggml.add_bos_token", .bool(tokenizer.bosID != nil && probe.first == tokenizer.bosID)))
        metadata.append(("tokenizer.ggml.add_eos_token", .bool(tokenizer.eosID != nil && probe.last == tokenizer.eosID)))
        if let template = tokenizer.configuration.chatTemplate { metadata.append(("tokenizer.chat_template", .string(template))) }
        metadata.append(("general.quantization_version", .uint32(2)))
        return metadata
    }

    /// The mmproj keys the LLaVA image-encoder converter writes (`--llava-projector`,
    /// `--clip-model-is-vision`): the tower's shapes with the kept layers as the block count,
    /// LLaVA-NeXT's pinpoints (width first, as the original repository lists them), merge type
    /// and aspect mode, the image statistics.
    static func visionMetadata(_ checkpoint: LLaVACheckpoint) throws -> [(key: String, value: GGUFValue)] {
        let config = checkpoint.config
        guard case .clip(let tower) = config.vision else {
            throw ConversionError.unsupportedConfig(path: checkpoint.configPath, field: "vision_config", reason: "GGUF export writes CLIP towers only")
        }
        let preprocessor = try checkpoint.clipPreprocessor()
        var metadata: [(key: String, value: GGUFValue)] = [
            ("general.architecture", .string("clip")),
            ("clip.has_text_encoder", .bool(false)), ("clip.has_vision_encoder", .bool(true)), ("clip.has_llava_projector", .bool(true)),
            ("general.file_type", .uint32(1)), ("general.name", .string("vit")), ("general.description", .string("image encoder for LLaVA")),
            ("clip.projector_type", .string("mlp")),
            ("clip.vision.image_size", uint(tower.imageSize)), ("clip.vision.patch_size", uint(tower.patchSize)),
            ("clip.vision.embedding_length", uint(tower.hiddenSize)), ("clip.vision.feed_forward_length", uint(tower.intermediateSize)),
            ("clip.vision.projection_dim", uint(0)), ("clip.vision.attention.head_count", uint(tower.headCount)),
            ("clip.vision.attention.layer_norm_epsilon", .float32(tower.layerNormEps)),
            ("clip.vision.block_count", uint(try keptLayers(config))),
        ]
        if config.aspectMode == .anyres {
            let pinpoints = config.gridPinpoints.flatMap { [GGUFValue.int32(Int32($0.width)), .int32(Int32($0.height))] }
            metadata += [
                ("clip.vision.image_grid_pinpoints", .array(type: 5, pinpoints)), ("clip.vision.image_crop_resolution", uint(tower.imageSize)),
                ("clip.vision.image_aspect_ratio", .string("anyres")), ("clip.vision.image_split_resolution", uint(tower.imageSize)),
                ("clip.vision.mm_patch_merge_type", .string("spatial_unpad")),
            ]
        }
        metadata += [
            ("clip.vision.image_mean", .array(type: 6, preprocessor.mean.map { .float32(Float($0)) })),
            ("clip.vision.image_std", .array(type: 6, preprocessor.std.map { .float32(Float($0)) })),
            ("clip.use_gelu", .bool(tower.hiddenAct == .gelu)),
        ]
        return metadata
    }
}
