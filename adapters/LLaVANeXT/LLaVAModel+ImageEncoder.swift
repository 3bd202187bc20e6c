import LLaVA

extension LLaVAModel {
    /// The image encoder this model's config asks for: LLaVA-OneVision's for `llava_onevision`,
    /// LLaVA-NeXT's anyres for `anyres`, else LLaVA-1.5's single crop.
    public func imageEncoder() throws -> any ImageEncoder {
        if config.isOneVision { return try OneVisionEncoder(model: self) }
        if config.aspectMode == .anyres { return try AnyResEncoder(model: self) }
        return try SingleCropEncoder(model: self)
    }
}
