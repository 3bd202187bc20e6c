import Tensors
import WeightIO

/// Hyper-parameters of a SigLIP vision tower (a `siglip_vision_model` config: the
/// `vision_config` of a LLaVA-OneVision config), with the transformers `SiglipVisionConfig`
/// defaults for missing fields. `vision_use_head` is not read: LLaVA never runs the pooling head.
public struct SiglipVisionConfig: VisionEncoderConfig, Equatable {
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var imageSize: Int
    public var patchSize: Int
    public var channels: Int
    public var layerNormEps: Float
    public var hiddenAct: Activation

    /// A config from its values; omitted ones take the transformers `SiglipVisionConfig`
    /// defaults. Call `validate(source:)` to check it.
    public init(hiddenSize: Int = 768, intermediateSize: Int = 3072, layerCount: Int = 12, headCount: Int = 12,
                imageSize: Int = 224, patchSize: Int = 16, channels: Int = 3, layerNormEps: Float = 1e-6,
                hiddenAct: Activation = .geluTanh) {
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
        try self.init(reading: json, source: source, defaults: SiglipVisionConfig())
    }

    /// Checks that the sizes are positive, the heads divide the hidden size and a patch fits the
    /// image (it need not divide it: 14-pixel patches of a 384-pixel image make a 27 × 27 grid);
    /// `source` names the config in the error.
    public func validate(source: String) throws {
        func require(_ ok: Bool, _ field: String, _ reason: @autoclosure () -> String) throws {
            guard ok else { throw TransformerError.invalidConfig(source: source, field: field, reason: reason()) }
        }
        try require(hiddenSize > 0, "hidden_size", "\(hiddenSize) must be positive")
        try require(intermediateSize > 0, "intermediate_size", "\(intermediateSize) must be positive")
        try require(layerCount > 0, "num_hidden_layers", "\(layerCount) must be positive")
        try validateHeads(source: source)
        try require(channels > 0, "num_channels", "\(channels) must be positive")
        try require(patchSize > 0 && patchSize <= imageSize, "patch_size", "\(patchSize) must be in 1...image_size \(imageSize)")
        try require(layerNormEps.isFinite && layerNormEps >= 0, "layer_norm_eps", "\(layerNormEps) must be a finite number ≥ 0")
    }
}
