import Imaging
import WeightIO

/// LLaVA-OneVision's pixel preprocessing as a checkpoint's `preprocessor_config.json` sets it for
/// transformers' `LlavaOnevisionImageProcessor(Pil)`, with that class's defaults for absent fields:
/// `size` (`{"height", "width"}`, 384 square; `{"shortest_edge": n}` is the same n square here),
/// `image_grid_pinpoints` (`[h, w]`, 384…2304), `image_mean`/`image_std` (OpenAI CLIP's; the
/// checkpoints give 0.5), `rescale_factor` (1/255). The multi-image pad colour is `int(255 · mean)`.
public enum OneVisionPreprocessing {
    /// The tiling of the config at `path`; a bad or unsupported field throws
    /// `LLaVAError.invalidConfig` naming the file and the field (an unreadable file, WeightIO's error).
    public static func tiling(contentsOf path: String) throws -> AnyResTiling {
        let json = try JSON.parse(contentsOf: path)
        do {
            return try tiling(of: json)
        } catch {
            throw LLaVAError.invalidConfig(path: path, reason: "\(error)")
        }
    }

    private static func tiling(of json: JSON) throws -> AnyResTiling {
        for flag in ["do_resize", "do_rescale", "do_normalize"] where try json.bool(flag) == false {
            throw ConfigProblem("field '\(flag)': false is not supported (OneVision resizes, rescales and normalises)")
        }
        if try json.bool("do_center_crop") == true {
            throw ConfigProblem("field 'do_center_crop': true is not supported (OneVision resizes the whole image)")
        }
        if let resample = try json.int("resample"), resample != 3 {
            throw ConfigProblem("field 'resample': \(resample) is not supported (only 3, BICUBIC)")
        }
        let defaults = try AnyResTiling.oneVision(mean: CLIPPreprocessor.clipMean, std: CLIPPreprocessor.clipStd)
        let edge = try json.int("size", "shortest_edge")
        let size = ImageSize(width: try edge ?? json.int("size", "width") ?? defaults.preprocessor.cropSize.width,
                             height: try edge ?? json.int("size", "height") ?? defaults.preprocessor.cropSize.height)
        if let crop = try json.int("crop_size", "height"), crop != size.height {
            throw ConfigProblem("field 'crop_size.height': \(crop) differs from size \(size), which OneVision's tiling does not support")
        }
        let pinpoints = try json.array("image_grid_pinpoints").map { pairs in
            try pairs.map { pair in
                do {
                    return try ImageSize(heightWidth: pair.arrayValue?.compactMap(\.intValue) ?? [])
                } catch {
                    throw ConfigProblem("field 'image_grid_pinpoints': \(pair) is not [height, width] of positive integers")
                }
            }
        } ?? defaults.pinpoints
        let mean = try numbers(json, "image_mean") ?? defaults.preprocessor.mean
        let std = try numbers(json, "image_std") ?? defaults.preprocessor.std
        let preprocessor = try CLIPPreprocessor(resizingTo: size, mean: mean, std: std,
                                                rescaleFactor: try json.double("rescale_factor") ?? 1.0 / 255.0,
                                                padColor: mean.count == 3 ? CLIPPreprocessor.padColor(forMean: mean) : nil)
        return try AnyResTiling(pinpoints: pinpoints, preprocessor: preprocessor)
    }

    /// Three numbers at `key`, nil when absent.
    private static func numbers(_ json: JSON, _ key: String) throws -> [Double]? {
        guard let values = try json.array(key) else { return nil }
        let numbers = values.compactMap(\.doubleValue)
        guard numbers.count == 3, values.count == 3 else {
            throw ConfigProblem("field '\(key)': expected 3 numbers, found \(values.count == numbers.count ? "\(values.count)" : "a non-number")")
        }
        return numbers
    }

    private struct ConfigProblem: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
