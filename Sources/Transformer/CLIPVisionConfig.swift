import Tensors
import WeightIO

/// Hyper-parameters of a CLIP vision tower (`vision_config` of a LLaVA config, or a CLIP
/// `config.json`), with the transformers `CLIPVisionConfig` defaults for missing fields.
public struct CLIPVisionConfig: Sendable, Equatable {
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var imageSize: Int
    public var patchSize: Int
    public var channels: Int
    public var layerNormEps: Float
    public var hiddenAct: Activation

    /// Patches per side.
    public var gridSize: Int { imageSize / patchSize }
    /// Patches per image (without the class token).
    public var patchCount: Int { gridSize * gridSize }

    /// A config from its values; omitted ones take the transformers `CLIPVisionConfig` defaults.
    /// Call `validate(source:)` to check it.
    public init(hiddenSize: Int = 768, intermediateSize: Int = 3072, layerCount: Int = 12, headCount: Int = 12,
                imageSize: Int = 224, patchSize: Int = 32, channels: Int = 3, layerNormEps: Float = 1e-5,
                hiddenAct: Activation = .quickGELU) {
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.imageSize = imageSize
        self.patchSize = patchSize
        self.channels = channels
        self.layerNormEps = layerNormEps
        self.hiddenAct = hiddenAct
    }

    /// Reads a config object; `source` names the file for errors.
    public init(json: JSON, source: String) throws {
        let defaults = CLIPVisionConfig()
        let hiddenSize = try WeightIOError.inFile(source) { try json.int("hidden_size") } ?? defaults.hiddenSize
        let intermediateSize = try WeightIOError.inFile(source) { try json.int("intermediate_size") } ?? defaults.intermediateSize
        let layerCount = try WeightIOError.inFile(source) { try json.int("num_hidden_layers") } ?? defaults.layerCount
        let headCount = try WeightIOError.inFile(source) { try json.int("num_attention_heads") } ?? defaults.headCount
        let imageSize = try WeightIOError.inFile(source) { try json.int("image_size") } ?? defaults.imageSize
        let patchSize = try WeightIOError.inFile(source) { try json.int("patch_size") } ?? defaults.patchSize
        let channels = try WeightIOError.inFile(source) { try json.int("num_channels") } ?? defaults.channels
        let layerNormEps = try WeightIOError.inFile(source) { try json.double("layer_norm_eps") }.map(Float.init) ?? defaults.layerNormEps
        let act = try WeightIOError.inFile(source) { try json.string("hidden_act") } ?? "quick_gelu"
        guard let activation = Activation(huggingFaceName: act) else {
            throw TransformerError.invalidConfig(source: source, field: "hidden_act", reason: "unsupported activation '\(act)'")
        }
        self.init(hiddenSize: hiddenSize, intermediateSize: intermediateSize, layerCount: layerCount, headCount: headCount,
                  imageSize: imageSize, patchSize: patchSize, channels: channels, layerNormEps: layerNormEps, hiddenAct: activation)
        try validate(source: source)
    }

    /// Checks that the heads divide the hidden size and the patches the image; `source` names
    /// the config in the error.
    public func validate(source: String) throws {
        guard headCount > 0, hiddenSize % headCount == 0 else {
            throw TransformerError.invalidConfig(source: source, field: "num_attention_heads", reason: "\(headCount) must divide hidden_size \(hiddenSize)")
        }
        guard patchSize > 0, imageSize % patchSize == 0 else {
            throw TransformerError.invalidConfig(source: source, field: "patch_size", reason: "\(patchSize) must divide image_size \(imageSize)")
        }
    }
}
