import Foundation
import Imaging
import WeightIO

extension LLaVACheckpoint {
    /// The CLIP preprocessing of this checkpoint: `preprocessor_config.json` of the model folder (or
    /// of the separate vision-tower folder) when present — `size.shortest_edge`, `crop_size`,
    /// `image_mean`, `image_std`, `rescale_factor` — else the tower's image size with CLIP's
    /// constants. The original layout's `image_aspect_ratio "pad"` pads to a square of
    /// `int(255 · mean)` first.
    /// A GGUF pair's come from its mmproj file: the tower's image size, `clip.vision.image_mean`
    /// and `image_std`.
    public func clipPreprocessor() throws -> CLIPPreprocessor {
        let side = config.vision.imageSize
        if let gguf {
            let (mean, std) = try gguf.imageStatistics() ?? (CLIPPreprocessor.clipMean, CLIPPreprocessor.clipStd)
            let pad = config.aspectMode == .padToSquare ? CLIPPreprocessor.padColor(forMean: mean) : nil
            return try CLIPPreprocessor(shortestEdge: side, cropSize: ImageSize(width: side, height: side), mean: mean, std: std,
                                        rescaleFactor: 1.0 / 255.0, padColor: pad)
        }
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
        let pad = config.aspectMode == .padToSquare && mean.count == 3 ? CLIPPreprocessor.padColor(forMean: mean) : nil
        do {
            return try CLIPPreprocessor(shortestEdge: shortest, cropSize: crop, mean: mean, std: std, rescaleFactor: rescale, padColor: pad)
        } catch {
            throw LLaVAError.invalidConfig(path: candidates.first ?? folder, reason: "\(error)")
        }
    }
}
