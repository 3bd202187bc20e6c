import Tensors
import WeightIO

/// Hyper-parameters of a LLaMA-family decoder (LLaMA, Vicuna, Mistral, Qwen2), read from a Hugging
/// Face `config.json` object (top level or `text_config`). Missing fields take the transformers class
/// defaults of the declared `model_type` (its `family`); both older names and those transformers v5
/// writes are read (`rope_theta` or `rope_parameters.rope_theta`, `torch_dtype` or `dtype`).
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
    /// Whether the LM head is the embedding table (`tie_word_embeddings`).
    public var tieWordEmbeddings: Bool
    public var attentionBias: AttentionBias
    public var mlpBias: Bool
    public var hiddenAct: Activation
    public var bosTokenID: Int?
    public var eosTokenIDs: [Int]
    public var maxPositionEmbeddings: Int
    /// The dtype the config declares (informational only: each tensor's own dtype is trusted).
    public var declaredDType: String?

    /// Whether this is a Mistral text model (`mistral`, or the original LLaVA's `llava_mistral`).
    public var isMistral: Bool { family == .mistral }

    /// A config from its values; omitted sizes and biases take the transformers defaults of
    /// `modelType`'s family (`llama`: FFN 11008, KV heads = heads, 2048 positions, vocabulary 32000,
    /// no attention bias; `mistral`: FFN 14336, 8 KV heads, 32768 positions, no bias; `qwen2`: FFN
    /// 22016, 32 KV heads, 32768 positions, vocabulary 151936, biases on q/k/v; head size = hidden /
    /// heads). Special tokens are none unless given (`init(json:)` takes each family's). Call
    /// `validate(source:)` to check it.
    public init(modelType: String = "llama", hiddenSize: Int = 4096, intermediateSize: Int? = nil, layerCount: Int = 32,
                headCount: Int = 32, kvHeadCount: Int? = nil, headDim: Int? = nil, vocabularySize: Int? = nil,
                rmsNormEps: Float = 1e-6, ropeTheta: Float = 10000, tieWordEmbeddings: Bool = false,
                attentionBias: AttentionBias? = nil, mlpBias: Bool = false, hiddenAct: Activation = .silu, bosTokenID: Int? = nil,
                eosTokenIDs: [Int] = [], maxPositionEmbeddings: Int? = nil, declaredDType: String? = nil) {
        let family = Family(modelType: modelType)
        self.modelType = modelType
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize ?? family.intermediateSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount ?? family.kvHeadCount ?? headCount
        self.headDim = headDim ?? (headCount > 0 ? hiddenSize / headCount : 0)
        self.vocabularySize = vocabularySize ?? family.vocabularySize
        self.rmsNormEps = rmsNormEps
        self.ropeTheta = ropeTheta
        self.tieWordEmbeddings = tieWordEmbeddings
        self.attentionBias = attentionBias ?? family.fixedBiases?.attention ?? .none
        self.mlpBias = mlpBias
        self.hiddenAct = hiddenAct
        self.bosTokenID = bosTokenID
        self.eosTokenIDs = eosTokenIDs
        self.maxPositionEmbeddings = maxPositionEmbeddings ?? family.maxPositionEmbeddings
        self.declaredDType = declaredDType
    }

    /// Reads a config object; `source` names the file for errors. LLaMA's `attention_bias` and
    /// `mlp_bias` are read, Mistral and Qwen2 have their modules' fixed biases; a Qwen2
    /// `use_sliding_window: true` is refused.
    public init(json: JSON, source: String) throws {
        let modelType = try WeightIOError.inFile(source) { try json.string("model_type") } ?? "llama"
        let defaults = LlamaConfig(modelType: modelType)
        let family = defaults.family
        let hiddenSize = try WeightIOError.inFile(source) { try json.int("hidden_size") } ?? defaults.hiddenSize
        let intermediateSize = try WeightIOError.inFile(source) { try json.int("intermediate_size") }
        let layerCount = try WeightIOError.inFile(source) { try json.int("num_hidden_layers") } ?? defaults.layerCount
        let headCount = try WeightIOError.inFile(source) { try json.int("num_attention_heads") } ?? defaults.headCount
        let kvHeadCount = try WeightIOError.inFile(source) { try json.int("num_key_value_heads") }
        let headDim = try WeightIOError.inFile(source) { try json.int("head_dim") }
        let vocabularySize = try WeightIOError.inFile(source) { try json.int("vocab_size") } ?? defaults.vocabularySize
        let rmsNormEps = try WeightIOError.inFile(source) { try json.double("rms_norm_eps") }.map(Float.init) ?? defaults.rmsNormEps
        let theta = try WeightIOError.inFile(source) { try json.double("rope_theta") } ?? WeightIOError.inFile(source) { try json.double("rope_parameters", "rope_theta") }
        let tieWordEmbeddings = try WeightIOError.inFile(source) { try json.bool("tie_word_embeddings") } ?? defaults.tieWordEmbeddings
        let attentionBias = try WeightIOError.inFile(source) { try json.bool("attention_bias") } ?? false
        let mlpBias = try WeightIOError.inFile(source) { try json.bool("mlp_bias") } ?? false
        let biases = family.fixedBiases ?? (attention: attentionBias ? .all : .none, mlp: mlpBias)
        let act = try WeightIOError.inFile(source) { try json.string("hidden_act") } ?? "silu"
        guard let activation = Activation(huggingFaceName: act) else {
            throw TransformerError.invalidConfig(source: source, field: "hidden_act", reason: "unsupported activation '\(act)'")
        }
        let bosTokenID = try WeightIOError.inFile(source) { try json.int("bos_token_id") } ?? family.bosTokenID
        let eosTokenIDs: [Int]
        if let list = json["eos_token_id"]?.arrayValue {
            eosTokenIDs = list.compactMap(\.intValue)
        } else {
            eosTokenIDs = try WeightIOError.inFile(source) { try json.int("eos_token_id") }.map { [$0] } ?? family.eosTokenIDs
        }
        let maxPositionEmbeddings = try WeightIOError.inFile(source) { try json.int("max_position_embeddings") }
        let declaredDType = try WeightIOError.inFile(source) { try json.string("dtype") } ?? WeightIOError.inFile(source) { try json.string("torch_dtype") }
        if let scaling = json.value(at: ["rope_scaling"]), scaling != .null {
            throw TransformerError.invalidConfig(source: source, field: "rope_scaling", reason: "RoPE scaling is not supported")
        }
        if let type = try WeightIOError.inFile(source, { try json.string("rope_parameters", "rope_type") }), type != "default" {
            throw TransformerError.invalidConfig(source: source, field: "rope_parameters.rope_type", reason: "only 'default' RoPE is supported, found '\(type)'")
        }
        if try WeightIOError.inFile(source, { try json.bool("use_sliding_window") }) == true {
            throw TransformerError.invalidConfig(source: source, field: "use_sliding_window", reason: "sliding-window attention is not supported")
        }
        self.init(modelType: modelType, hiddenSize: hiddenSize, intermediateSize: intermediateSize, layerCount: layerCount,
                  headCount: headCount, kvHeadCount: kvHeadCount, headDim: headDim, vocabularySize: vocabularySize,
                  rmsNormEps: rmsNormEps, ropeTheta: theta.map(Float.init) ?? defaults.ropeTheta, tieWordEmbeddings: tieWordEmbeddings,
                  attentionBias: biases.attention, mlpBias: biases.mlp, hiddenAct: activation, bosTokenID: bosTokenID,
                  eosTokenIDs: eosTokenIDs, maxPositionEmbeddings: maxPositionEmbeddings, declaredDType: declaredDType)
        try validate(source: source)
    }

    /// Checks the sizes fit together (positive, heads divisible by KV heads, an even head size);
    /// `source` names the config in the error.
    public func validate(source: String) throws {
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
