import Imaging
import PyramidDrop
import Tensors

/// Turns an image into the language model's image-token embeddings. LLaVA-1.5 encodes one square
/// crop; LLaVA-NeXT (module `LLaVANeXT`) tiles the image. The token count is known before the
/// tower runs, so `<image>` can be expanded first and a mismatch is caught, never truncated.
public protocol ImageEncoder: Sendable {
    /// Image tokens an image of `size` occupies.
    func tokenCount(for size: ImageSize) -> Int
    /// Image-token embeddings `[tokenCount(for: image.size), textHidden]`.
    func features(for image: RGBImage) throws -> Tensor
    /// The pictures the tower saw and each image token's patch on them, for kept-token maps.
    func geometry(for image: RGBImage) -> TokenGeometry
    /// The image's tokens for a pre-decoder token policy: the features, plus what `needs` asks
    /// of the tower where this encoder can give it (per crop). The default gives the features only.
    func tokens(for image: RGBImage, needs: VisionNeeds) throws -> ImageTokens
    /// The encoder for a prompt holding `imageCount` images (LLaVA-OneVision tiles only a lone
    /// image). The default is the encoder itself.
    func forPrompt(imageCount: Int) -> any ImageEncoder
}

extension ImageEncoder {
    public func forPrompt(imageCount: Int) -> any ImageEncoder { self }

    public func tokens(for image: RGBImage, needs: VisionNeeds) throws -> ImageTokens {
        ImageTokens(features: try features(for: image))
    }
}

/// LLaVA-1.5: one crop (centre-cropped for llava-hf, padded to a square first for the original
/// layout), the vision tower and the projector.
public struct SingleCropEncoder: ImageEncoder {
    public let model: LLaVAModel
    public let preprocessor: CLIPPreprocessor

    public init(model: LLaVAModel) throws {
        self.model = model
        preprocessor = try model.checkpoint.clipPreprocessor()
    }

    public func tokenCount(for size: ImageSize) -> Int { model.tokensPerTile }

    public func features(for image: RGBImage) throws -> Tensor {
        try tokens(for: image, needs: []).features
    }

    /// With `needs`, also what the tower's feature layer computed (one crop) and the projector.
    public func tokens(for image: RGBImage, needs: VisionNeeds) throws -> ImageTokens {
        let offset = model.config.selection == .full ? model.vision.classTokens : 0
        let (features, crop) = try model.observedFeatures(preprocessor.pixelValues(image), needs: needs,
                                                      patchSources: (0..<model.config.vision.patchCount).map { $0 + offset })
        guard features.shape[0] == tokenCount(for: image.size) else {
            throw LLaVAError.imageTokenMismatch(slots: tokenCount(for: image.size), features: features.shape[0])
        }
        guard let crop else { return ImageTokens(features: features) }
        return ImageTokens(features: features, crops: [crop], layout: .single, project: model.projection)
    }
}
