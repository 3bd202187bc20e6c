import Foundation
import Imaging
import Tensors
import WeightIO

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
}

/// LLaVA-1.5: one crop (centre-cropped for llava-hf, padded to a square first for the original
/// layout), the vision tower and the projector.
public struct SingleCropEncoder: ImageEncoder {
    public let model: LLaVAModel
    public let preprocessor: CLIPPreprocessor

    public init(model: LLaVAModel) throws {
        self.model = model
        preprocessor = try model.clipPreprocessor()
    }

    public func tokenCount(for size: ImageSize) -> Int { model.tokensPerTile }

    public func features(for image: RGBImage) throws -> Tensor {
        let features = model.imageFeatures(preprocessor.pixelValues(image))
        guard features.shape[0] == tokenCount(for: image.size) else {
            throw LLaVAError.imageTokenMismatch(slots: tokenCount(for: image.size), features: features.shape[0])
        }
        return features
    }
}

extension LLaVAModel {
    /// The CLIP preprocessing of this checkpoint: `preprocessor_config.json` of the model folder (or
    /// of the separate vision-tower folder) when present — `size.shortest_edge`, `crop_size`,
    /// `image_mean`, `image_std`, `rescale_factor` — else the tower's image size with CLIP's
    /// constants. The original layout's `image_aspect_ratio "pad"` pads to a square of
    /// `int(255 · mean)` first.
    public func clipPreprocessor() throws -> CLIPPreprocessor {
        let side = config.vision.imageSize
        let candidates = [folder, visionFolder].compactMap { $0 }.map { $0 + "/preprocessor_config.json" }
        let json = try candidates.first { FileManager.default.fileExists(atPath: $0) }.map { try JSON.parse(contentsOf: $0) } ?? .object([:])
        func number(_ path: String...) -> Int? { json.value(at: path)?.intValue }
        // Newer files nest sizes ({"shortest_edge": 336}, {"height": 336, "width": 336}); older CLIP
        // files give plain integers.
        let shortest = number("size", "shortest_edge") ?? number("size", "height") ?? number("size") ?? side
        let crop = ImageSize(width: number("crop_size", "width") ?? number("crop_size") ?? side,
                             height: number("crop_size", "height") ?? number("crop_size") ?? side)
        let mean = json["image_mean"]?.arrayValue?.compactMap(\.doubleValue) ?? CLIPPreprocessor.clipMean
        let std = json["image_std"]?.arrayValue?.compactMap(\.doubleValue) ?? CLIPPreprocessor.clipStd
        let rescale = json["rescale_factor"]?.doubleValue ?? 1.0 / 255.0
        let pad = config.aspectMode == .padToSquare
            ? RGB(UInt8(mean[0] * 255), UInt8(mean[1] * 255), UInt8(mean[2] * 255)) : nil
        do {
            return try CLIPPreprocessor(shortestEdge: shortest, cropSize: crop, mean: mean, std: std, rescaleFactor: rescale, padColor: pad)
        } catch {
            throw LLaVAError.invalidConfig(path: candidates.first ?? folder, reason: "\(error)")
        }
    }
}
