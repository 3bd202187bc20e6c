import PyramidDrop
import Tensors

/// A vision tower as LLaVA-family adapters drive it: CLIP (LLaVA-1.5, NeXT) or SigLIP
/// (LLaVA-OneVision). One normalised square input in, the feature layers' rows out.
public protocol VisionTower: Sendable {
    /// Rows of `observe`'s hidden before the patches: 1 for CLIP's class token, 0 for SigLIP.
    var classTokens: Int { get }
    /// Columns of `observe`'s hidden: the hidden size times the number of feature layers.
    var featureWidth: Int { get }
    /// The path the patch embedding (and so the tower) computes on.
    var compute: ComputePath { get }
    /// The feature layers' rows for one input (`[classTokens + patches, featureWidth]`), the class
    /// token's attention per head when `needs` asks and the tower has one, and the last layer's
    /// keys when `needs` asks.
    func observe(_ pixels: Tensor, needs: VisionNeeds) -> (hidden: Tensor, classAttention: Tensor?, keys: Tensor?)
}

extension CLIPVisionEncoder: VisionTower {
    public var classTokens: Int { 1 }
    public var featureWidth: Int { config.hiddenSize * featureStates.count }
    public var compute: ComputePath { patchEmbedding.compute }
}

extension SiglipVisionEncoder: VisionTower {
    public var classTokens: Int { 0 }
    public var featureWidth: Int { config.hiddenSize * featureStates.count }
    public var compute: ComputePath { patchEmbedding.compute }
}
