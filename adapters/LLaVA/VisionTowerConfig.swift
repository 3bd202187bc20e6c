import Transformer

/// The vision tower a LLaVA config names: CLIP (LLaVA-1.5, NeXT) or SigLIP (LLaVA-OneVision,
/// `vision_config.model_type` `siglip_vision_model`).
public enum VisionTowerConfig: Sendable, Equatable {
    case clip(CLIPVisionConfig)
    case siglip(SiglipVisionConfig)

    /// The tower's hyper-parameters, whichever it is.
    public var shape: any VisionEncoderConfig {
        switch self {
        case .clip(let config): return config
        case .siglip(let config): return config
        }
    }

    public var hiddenSize: Int { shape.hiddenSize }
    public var headCount: Int { shape.headCount }
    public var imageSize: Int { shape.imageSize }
    public var patchSize: Int { shape.patchSize }
    /// Patches per side of one tower input.
    public var gridSize: Int { shape.gridSize }
    /// Patches of one tower input.
    public var patchCount: Int { shape.patchCount }
}
