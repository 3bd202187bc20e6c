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

    public init(json: JSON, source: String) throws {
        hiddenSize = try WeightIOError.inFile(source) { try json.int("hidden_size") } ?? 768
        intermediateSize = try WeightIOError.inFile(source) { try json.int("intermediate_size") } ?? 3072
        layerCount = try WeightIOError.inFile(source) { try json.int("num_hidden_layers") } ?? 12
        headCount = try WeightIOError.inFile(source) { try json.int("num_attention_heads") } ?? 12
        imageSize = try WeightIOError.inFile(source) { try json.int("image_size") } ?? 224
        patchSize = try WeightIOError.inFile(source) { try json.int("patch_size") } ?? 32
        channels = try WeightIOError.inFile(source) { try json.int("num_channels") } ?? 3
        layerNormEps = Float(try WeightIOError.inFile(source) { try json.double("layer_norm_eps") } ?? 1e-5)
        let act = try WeightIOError.inFile(source) { try json.string("hidden_act") } ?? "quick_gelu"
        guard let activation = Activation(huggingFaceName: act) else {
            throw TransformerError.invalidConfig(source: source, field: "hidden_act", reason: "unsupported activation '\(act)'")
        }
        hiddenAct = activation
        guard headCount > 0, hiddenSize % headCount == 0 else {
            throw TransformerError.invalidConfig(source: source, field: "num_attention_heads", reason: "\(headCount) must divide hidden_size \(hiddenSize)")
        }
        guard patchSize > 0, imageSize % patchSize == 0 else {
            throw TransformerError.invalidConfig(source: source, field: "patch_size", reason: "\(patchSize) must divide image_size \(imageSize)")
        }
    }
}
