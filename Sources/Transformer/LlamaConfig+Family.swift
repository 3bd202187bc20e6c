extension LlamaConfig {
    /// The decoder families a config can declare. They share the layer's math and differ in the
    /// transformers class defaults of omitted fields and in which projections have biases.
    public enum Family: Sendable, Equatable {
        case llama, mistral, qwen2

        /// The family of a `model_type`: `mistral` (and the original LLaVA's `llava_mistral`),
        /// `qwen2` (and the original LLaVA-OneVision's `llava_qwen`); any other type is LLaMA
        /// (`llama`, the original LLaVA's `llava`).
        public init(modelType: String) {
            switch modelType {
            case "mistral", "llava_mistral": self = .mistral
            case "qwen2", "llava_qwen": self = .qwen2
            default: self = .llama
            }
        }
    }

    /// The family `modelType` declares.
    public var family: Family { Family(modelType: modelType) }
}

/// The transformers class defaults (`LlamaConfig`, `MistralConfig`, `Qwen2Config`) that differ
/// between the families.
extension LlamaConfig.Family {
    var intermediateSize: Int {
        switch self {
        case .llama: 11008
        case .mistral: 14336
        case .qwen2: 22016
        }
    }

    /// KV heads when the config omits them; nil: as many as the query heads.
    var kvHeadCount: Int? {
        switch self {
        case .llama: nil
        case .mistral: 8
        case .qwen2: 32
        }
    }

    var maxPositionEmbeddings: Int { self == .llama ? 2048 : 32768 }
    var vocabularySize: Int { self == .qwen2 ? 151936 : 32000 }
    var bosTokenID: Int? { self == .qwen2 ? nil : 1 }
    var eosTokenIDs: [Int] { self == .qwen2 ? [] : [2] }

    /// The biases the family's modules always have; nil for LLaMA, whose config chooses them
    /// (`attention_bias`, `mlp_bias`; Mistral's and Qwen2's modules ignore those fields).
    var fixedBiases: (attention: AttentionBias, mlp: Bool)? {
        switch self {
        case .llama: nil
        case .mistral: (.none, false)
        case .qwen2: (.queryKeyValue, false)
        }
    }
}
