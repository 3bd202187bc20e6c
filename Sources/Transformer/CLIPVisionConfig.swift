import Tensors
import WeightIO

/// Hyper-parameters of a CLIP vision tower (`vision_config` of a LLaVA config, or a CLIP
/// `config.json`), with the transformers `CLIPVisionConfig` defaults for missing fields.
public struct CLIPVisionConfig: VisionEncoderConfig, Equatable {
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var imageSize: Int
    public var patchSize: Int
    public var channels: Int
    public var layerNormEps: Float
    public var hiddenAct: Activation

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
        try self.init(reading: json, source: source, defaults: CLIPVisionConfig())
    }

    /// Checks that the heads divide the hidden size and the patches the image; `source` names
    /// the config in the error.
    public func validate(source: String) throws {
        try validateHeads(source: source)
        guard patchSize > 0, imageSize % patchSize == 0 else {
            throw TransformerError.invalidConfig(source: source, field: "patch_size", reason: "\(patchSize) must divide image_size \(imageSize)")
        }
    }
}
