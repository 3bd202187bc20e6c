import Tensors
import WeightIO

/// Hyper-parameters of a LLaMA-family decoder (LLaMA, Vicuna, Mistral), read from a Hugging Face
/// `config.json` object (top level or `text_config`). Missing fields take the transformers class
/// defaults of the declared `model_type`; both older names and those transformers v5 writes are
/// read (`rope_theta` or `rope_parameters.rope_theta`, `torch_dtype` or `dtype`).
public struct LlamaConfig: Sendable, Equatable {
    public var modelType: String
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDim: Int
    public var vocabularySize: Int
    public var rmsNormEps: Float
    public var ropeTheta: Float
    public var tieWordEmbeddings: Bool
    public var attentionBias: Bool
    public var mlpBias: Bool
    public var hiddenAct: Activation
    public var bosTokenID: Int?
    public var eosTokenIDs: [Int]
    public var maxPositionEmbeddings: Int
    /// The dtype the config declares (informational only: each tensor's own dtype is trusted).
    public var declaredDType: String?

    /// Whether this is a Mistral text model (`mistral`, or the original LLaVA's `llava_mistral`).
    public var isMistral: Bool { Self.mistralTypes.contains(modelType) }
    private static let mistralTypes: Set<String> = ["mistral", "llava_mistral"]

    /// Reads a config object; `source` names the file for errors.
    public init(json: JSON, source: String) throws {
        modelType = try WeightIOError.inFile(source) { try json.string("model_type") } ?? "llama"
        let mistral = Self.mistralTypes.contains(modelType)
        hiddenSize = try WeightIOError.inFile(source) { try json.int("hidden_size") } ?? 4096
        intermediateSize = try WeightIOError.inFile(source) { try json.int("intermediate_size") } ?? (mistral ? 14336 : 11008)
        layerCount = try WeightIOError.inFile(source) { try json.int("num_hidden_layers") } ?? 32
        headCount = try WeightIOError.inFile(source) { try json.int("num_attention_heads") } ?? 32
        kvHeadCount = try WeightIOError.inFile(source) { try json.int("num_key_value_heads") } ?? (mistral ? 8 : headCount)
        headDim = try WeightIOError.inFile(source) { try json.int("head_dim") } ?? (headCount > 0 ? hiddenSize / headCount : 0)
        vocabularySize = try WeightIOError.inFile(source) { try json.int("vocab_size") } ?? 32000
        rmsNormEps = Float(try WeightIOError.inFile(source) { try json.double("rms_norm_eps") } ?? 1e-6)
        let theta = try WeightIOError.inFile(source) { try json.double("rope_theta") } ?? WeightIOError.inFile(source) { try json.double("rope_parameters", "rope_theta") }
        ropeTheta = Float(theta ?? 10000)
        tieWordEmbeddings = try WeightIOError.inFile(source) { try json.bool("tie_word_embeddings") } ?? false
        attentionBias = try WeightIOError.inFile(source) { try json.bool("attention_bias") } ?? false
        mlpBias = try WeightIOError.inFile(source) { try json.bool("mlp_bias") } ?? false
        let act = try WeightIOError.inFile(source) { try json.string("hidden_act") } ?? "silu"
        guard let activation = Activation(huggingFaceName: act) else {
            throw TransformerError.invalidConfig(source: source, field: "hidden_act", reason: "unsupported activation '\(act)'")
        }
        hiddenAct = activation
        bosTokenID = try WeightIOError.inFile(source) { try json.int("bos_token_id") } ?? 1
        if let list = json["eos_token_id"]?.arrayValue {
            eosTokenIDs = list.compactMap(\.intValue)
        } else {
            eosTokenIDs = [try WeightIOError.inFile(source) { try json.int("eos_token_id") } ?? 2]
        }
        maxPositionEmbeddings = try WeightIOError.inFile(source) { try json.int("max_position_embeddings") } ?? (mistral ? 32768 : 2048)
        declaredDType = try WeightIOError.inFile(source) { try json.string("dtype") } ?? WeightIOError.inFile(source) { try json.string("torch_dtype") }
        if let scaling = json.value(at: ["rope_scaling"]), scaling != .null {
            throw TransformerError.invalidConfig(source: source, field: "rope_scaling", reason: "RoPE scaling is not supported")
        }
        if let type = try WeightIOError.inFile(source, { try json.string("rope_parameters", "rope_type") }), type != "default" {
            throw TransformerError.invalidConfig(source: source, field: "rope_parameters.rope_type", reason: "only 'default' RoPE is supported, found '\(type)'")
        }
        try validate(source: source)
    }

    private func validate(source: String) throws {
        func check(_ ok: Bool, _ field: String, _ reason: String) throws {
            if !ok { throw TransformerError.invalidConfig(source: source, field: field, reason: reason) }
        }
        try check(hiddenSize > 0, "hidden_size", "must be positive")
        try check(headCount > 0, "num_attention_heads", "must be positive")
        try check(kvHeadCount > 0 && headCount % kvHeadCount == 0, "num_key_value_heads",
                  "\(kvHeadCount) must divide num_attention_heads \(headCount)")
        try check(headDim > 0 && headDim % 2 == 0, "head_dim", "\(headDim) must be positive and even")
        try check(layerCount > 0, "num_hidden_layers", "must be positive")
        try check(intermediateSize > 0, "intermediate_size", "must be positive")
        try check(vocabularySize > 0, "vocab_size", "must be positive")
    }
}
