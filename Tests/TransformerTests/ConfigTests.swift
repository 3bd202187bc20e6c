import Tensors
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
}
