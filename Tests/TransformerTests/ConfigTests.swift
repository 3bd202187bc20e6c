import Tensors
import TestSupport
import Testing
import Transformer
import WeightIO

@Suite struct ConfigTests {
    static func llama(_ text: String) throws -> LlamaConfig {
        try LlamaConfig(json: JSON.parse(text, source: "config.json"), source: "config.json")
    }

    /// Older field names, and the names transformers v5 writes, give the same config.
    @Test func oldAndNewFieldNames() throws {
        let old = try Self.llama(#"{"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4, "rope_theta": 500000.0, "torch_dtype": "float16"}"#)
        let new = try Self.llama(#"{"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4, "rope_parameters": {"rope_theta": 500000.0, "rope_type": "default"}, "dtype": "float16"}"#)
        #expect(old == new)
        #expect(old.ropeTheta == 500000)
        #expect(old.declaredDType == "float16")
        #expect(old.headDim == 16)            // derived: hidden / heads
        #expect(old.kvHeadCount == 4)         // absent: equals heads
    }

    /// Missing fields take the class defaults of the model type.
    @Test func classDefaults() throws {
        let llama = try Self.llama("{}")
        #expect(llama.hiddenSize == 4096 && llama.intermediateSize == 11008 && llama.layerCount == 32)
        #expect(llama.kvHeadCount == 32 && llama.ropeTheta == 10000 && llama.eosTokenIDs == [2] && llama.hiddenAct == .silu)
        let mistral = try Self.llama(#"{"model_type": "mistral"}"#)
        #expect(mistral.intermediateSize == 14336 && mistral.kvHeadCount == 8)
        let explicitHeadDim = try Self.llama(#"{"hidden_size": 64, "num_attention_heads": 4, "head_dim": 32}"#)
        #expect(explicitHeadDim.headDim == 32)
    }

    /// Qwen2 takes transformers' `Qwen2Config` defaults and its modules' fixed biases (q/k/v, not
    /// o or the MLP), whatever `attention_bias` says; LLaMA's biases follow its fields.
    @Test func qwen2DefaultsAndBiases() throws {
        let qwen2 = try Self.llama(#"{"model_type": "qwen2", "attention_bias": false, "mlp_bias": true}"#)
        #expect(qwen2.family == .qwen2 && qwen2 == LlamaConfig(modelType: "qwen2"))
        #expect(qwen2.hiddenSize == 4096 && qwen2.intermediateSize == 22016 && qwen2.layerCount == 32)
        #expect(qwen2.headCount == 32 && qwen2.kvHeadCount == 32 && qwen2.vocabularySize == 151936)
        #expect(qwen2.maxPositionEmbeddings == 32768 && qwen2.rmsNormEps == 1e-6 && qwen2.ropeTheta == 10000)
        #expect(qwen2.bosTokenID == nil && qwen2.eosTokenIDs.isEmpty && !qwen2.tieWordEmbeddings && qwen2.hiddenAct == .silu)
        #expect(qwen2.attentionBias == .queryKeyValue && !qwen2.mlpBias)
        #expect(try Self.llama(#"{"model_type": "llava_qwen"}"#).family == .qwen2)
        #expect(try Self.llama(#"{"model_type": "llama", "attention_bias": true, "mlp_bias": true}"#).attentionBias == .all)
        #expect(try Self.llama(#"{"model_type": "mistral", "attention_bias": true}"#).attentionBias == .none)
    }

    /// The fixture's config (transformers v5 layout): tied embeddings, θ 1e6, GQA; its
    /// `layer_types` and `sliding_window: null` change nothing while `use_sliding_window` is false.
    @Test func qwen2FixtureConfig() throws {
        let config = try LlamaConfig(json: ModelFixtures.config("qwen2"), source: "qwen2")
        #expect(config.tieWordEmbeddings && config.ropeTheta == 1e6 && config.headCount == 4 && config.kvHeadCount == 2)
        #expect(config.headDim == 8 && config.bosTokenID == nil && config.eosTokenIDs.isEmpty)
    }

    /// Sliding-window attention is refused rather than computed as full attention.
    @Test func qwen2SlidingWindowIsRefused() throws {
        let error = TransformerError.invalidConfig(source: "config.json", field: "use_sliding_window",
                                                   reason: "sliding-window attention is not supported")
        #expect(throws: error) { try Self.llama(#"{"model_type": "qwen2", "use_sliding_window": true, "sliding_window": 4096}"#) }
        #expect(error.description == "config.json: config field 'use_sliding_window': sliding-window attention is not supported")
        #expect(try Self.llama(#"{"model_type": "qwen2", "use_sliding_window": false, "sliding_window": 4096}"#).family == .qwen2)
    }

    @Test func invalidConfigsNameTheField() throws {
        #expect(throws: TransformerError.invalidConfig(source: "config.json", field: "num_key_value_heads", reason: "3 must divide num_attention_heads 32")) {
            try Self.llama(#"{"num_key_value_heads": 3}"#)
        }
        #expect(throws: WeightIOError.inFile(path: "config.json", underlying: .jsonField(path: "hidden_size", expected: "an integer", found: "a string"))) {
            try Self.llama(#"{"hidden_size": "big"}"#)
        }
        #expect(throws: TransformerError.self) { try Self.llama(#"{"rope_scaling": {"type": "linear", "factor": 2.0}}"#) }
    }

    @Test func clipDefaultsAndFields() throws {
        let clip = try CLIPVisionConfig(json: JSON.parse(#"{"hidden_size": 1024, "image_size": 336, "intermediate_size": 4096, "num_attention_heads": 16, "num_hidden_layers": 24, "patch_size": 14}"#, source: "c"), source: "c")
        #expect(clip.patchCount == 576 && clip.hiddenAct == .quickGELU && clip.layerNormEps == 1e-5)
    }

    static func siglip(_ text: String) throws -> SiglipVisionConfig {
        try SiglipVisionConfig(json: JSON.parse(text, source: "vision_config"), source: "vision_config")
    }

    /// Missing fields take transformers' `SiglipVisionConfig` defaults; LLaVA-OneVision's
    /// so400m tower (384-pixel images, 14-pixel patches) has a 27 × 27 grid.
    @Test func siglipDefaultsAndFields() throws {
        #expect(try Self.siglip("{}") == SiglipVisionConfig(hiddenSize: 768, intermediateSize: 3072, layerCount: 12, headCount: 12, imageSize: 224,
                                                            patchSize: 16, channels: 3, layerNormEps: 1e-6, hiddenAct: .geluTanh))
        let oneVision = try Self.siglip(#"{"model_type": "siglip_vision_model", "hidden_size": 1152, "image_size": 384, "intermediate_size": 4304, "num_attention_heads": 16, "num_hidden_layers": 26, "patch_size": 14, "vision_use_head": false}"#)
        #expect(oneVision.gridSize == 27 && oneVision.patchCount == 729 && oneVision.headCount == 16 && oneVision.layerCount == 26)
        #expect(try Self.siglip(#"{"hidden_act": "gelu", "layer_norm_eps": 1e-5}"#).hiddenAct == .gelu)
    }

    /// Bad values are refused in one line naming the config and the field.
    @Test(arguments: [
        (#"{"num_attention_heads": 5}"#, "num_attention_heads", "5 must divide hidden_size 768"),
        (#"{"hidden_size": 0}"#, "hidden_size", "0 must be positive"),
        (#"{"intermediate_size": -1}"#, "intermediate_size", "-1 must be positive"),
        (#"{"num_hidden_layers": 0}"#, "num_hidden_layers", "0 must be positive"),
        (#"{"num_channels": 0}"#, "num_channels", "0 must be positive"),
        (#"{"patch_size": 0}"#, "patch_size", "0 must be in 1...image_size 224"),
        (#"{"patch_size": 16, "image_size": 8}"#, "patch_size", "16 must be in 1...image_size 8"),
        (#"{"layer_norm_eps": -1e-6}"#, "layer_norm_eps", "-1e-06 must be a finite number ≥ 0"),
        (#"{"hidden_act": "gelu_new"}"#, "hidden_act", "unsupported activation 'gelu_new'"),
    ])
    func siglipRefusals(json: String, field: String, reason: String) throws {
        #expect(throws: TransformerError.invalidConfig(source: "vision_config", field: field, reason: reason)) { try Self.siglip(json) }
    }

    @Test func siglipFieldOfTheWrongType() throws {
        #expect(throws: WeightIOError.inFile(path: "vision_config", underlying: .jsonField(path: "image_size", expected: "an integer", found: "an array"))) {
            try Self.siglip(#"{"image_size": [384, 384]}"#)
        }
    }
}
