import Foundation
import Imaging
import LLaVA
import LLaVANeXT
import Tensors
import Tokenizer
import WeightIO

/// Loads a LLaVA model of any supported form into a pipeline: the model, its tokenizer, and the
/// image encoder its config asks for (anyres → LLaVA-NeXT, llava_onevision → LLaVA-OneVision).
enum ModelLoading {
    /// `model` is a checkpoint folder of any layout, a llama.cpp text-model `.gguf` with its
    /// `mmproj`, or a folder holding such a pair (and no `config.json`).
    static func pipeline(model: String, mmproj: String?, visionTower: String?, compute: ComputeMode) throws -> LLaVAPipeline {
        guard let pair = try ggufPair(model: model, mmproj: mmproj) else {
            let llava = try LLaVAModel(folder: model, visionTower: visionTower, compute: compute)
            return LLaVAPipeline(model: llava, tokenizer: try Tokenizer(folder: model), encoder: try llava.imageEncoder())
        }
        let llava = try LLaVAModel(checkpoint: LLaVACheckpoint(gguf: pair), compute: compute)
        return LLaVAPipeline(model: llava, tokenizer: try Tokenizer(gguf: pair.model), encoder: try llava.imageEncoder())
    }

    /// The GGUF pair `model` / `mmproj` name, opened, or nil for a checkpoint folder.
    private static func ggufPair(model: String, mmproj: String?) throws -> GGUFPair? {
        var isFolder: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: model, isDirectory: &isFolder)
        if let mmproj {
            guard exists, !isFolder.boolValue else {
                throw CLIError("--mmproj goes with a text-model .gguf file as --model; \(model) is \(exists ? "a folder" : "not a file")")
            }
            return try GGUFPair(model: model, mmproj: mmproj)
        }
        if exists, !isFolder.boolValue, model.hasSuffix(".gguf") {
            throw CLIError("\(model) is a text-model GGUF: pass its vision tower and projector with --mmproj FILE.gguf")
        }
        guard exists, isFolder.boolValue else { return nil }
        return try GGUFPair.inFolder(model)
    }

    /// How images are decoded for this checkpoint: llava-hf processors (transformers 5) composite
    /// transparency onto white; the original repository's `convert("RGB")` drops alpha.
    static func imageDecoder(for model: LLaVAModel, pixelLimit: Int = 100_000_000) -> ImageDecoder {
        ImageDecoder(pixelLimit: pixelLimit, alpha: model.checkpoint.followsOriginalRepository ? .drop : .compositeOnWhite)
    }
}
