import Foundation
import WeightIO

/// A LLaVA model held as llama.cpp keeps it: a text-model GGUF (`general.architecture` `llama`)
/// and an `mmproj` GGUF (`clip`) with the vision tower and projector.
public struct GGUFPair: Sendable {
    /// The text model's file.
    public let model: GGUFFile
    /// The vision tower's and projector's file.
    public let mmproj: GGUFFile

    /// A pair of files already opened.
    public init(model: GGUFFile, mmproj: GGUFFile) {
        self.model = model
        self.mmproj = mmproj
    }

    /// Opens both files (validated as `GGUFFile` does).
    public init(model: String, mmproj: String) throws {
        self.init(model: try GGUFFile(path: model), mmproj: try GGUFFile(path: mmproj))
    }

    /// The pair in `folder`: its `.gguf` files sorted by their `general.architecture` into one
    /// `clip` file and one text model, each opened once; nil when the folder has no `.gguf`
    /// file, or has a `config.json` (a safetensors/`.bin` model folder, whatever else it holds).
    /// Any other mix (two text models, no mmproj) is an error naming the files.
    public static func inFolder(_ folder: String) throws -> GGUFPair? {
        guard !FileManager.default.fileExists(atPath: folder + "/config.json") else { return nil }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".gguf") }.sorted()
        guard !names.isEmpty else { return nil }
        var models: [GGUFFile] = [], projectors: [GGUFFile] = []
        for name in names {
            let file = try GGUFFile(path: folder + "/" + name)
            if try file.string("general.architecture") == "clip" { projectors.append(file) } else { models.append(file) }
        }
        func listed(_ files: [GGUFFile]) -> String { files.map { URL(fileURLWithPath: $0.path).lastPathComponent }.joined(separator: ", ") }
        guard models.count == 1, projectors.count == 1 else {
            throw GGUFError(path: folder, problem: "expected one text-model GGUF and one mmproj (clip) GGUF, found "
                + "\(models.count) text model\(models.count == 1 ? "" : "s") (\(listed(models))) and "
                + "\(projectors.count) mmproj (\(listed(projectors))); pass --model FILE.gguf --mmproj FILE.gguf")
        }
        return GGUFPair(model: models[0], mmproj: projectors[0])
    }

    /// What the run's stats line says about formats read by requantizing
    /// (`GGUFTensorType.requantizedOnLoad`), e.g. `Q5_K → Q8_0 at load (7 tensors)`; nil when
    /// every tensor is used as stored.
    public var requantizationNote: String? {
        let types = (model.tensors + mmproj.tensors).map(\.type).filter { GGUFTensorType.requantizedOnLoad.contains($0) }
        guard !types.isEmpty else { return nil }
        let names = Set(types.map(\.description)).sorted().joined(separator: ", ")
        return "\(names) → Q8_0 at load (\(types.count) tensor\(types.count == 1 ? "" : "s"))"
    }

    /// The image normalisation the mmproj file gives (`clip.vision.image_mean` / `image_std`),
    /// nil for CLIP's constants.
    public func imageStatistics() throws -> (mean: [Double], std: [Double])? {
        guard let mean = try mmproj.numbers("clip.vision.image_mean"), let std = try mmproj.numbers("clip.vision.image_std") else { return nil }
        guard mean.count == 3, std.count == 3, std.allSatisfy({ $0 > 0 }) else {
            throw GGUFError(path: mmproj.path, problem: "clip.vision.image_mean and image_std must hold 3 values each (std positive)")
        }
        return (mean, std)
    }
}
