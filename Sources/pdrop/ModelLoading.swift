import Imaging
import LLaVA
import LLaVANeXT
import Tensors
import Tokenizer

/// Loads a LLaVA checkpoint folder of any supported layout and version into a pipeline: the
/// model, its tokenizer, and the image encoder its config asks for (anyres → LLaVA-NeXT,
/// llava_onevision → LLaVA-OneVision).
enum ModelLoading {
    static func pipeline(folder: String, visionTower: String?, compute: ComputeMode) throws -> LLaVAPipeline {
        let model = try LLaVAModel(folder: folder, visionTower: visionTower, compute: compute)
        let tokenizer = try Tokenizer(folder: folder)
        return LLaVAPipeline(model: model, tokenizer: tokenizer, encoder: try model.imageEncoder())
    }

    /// How images are decoded for this checkpoint: llava-hf processors (transformers 5) composite
    /// transparency onto white; the original repository's `convert("RGB")` drops alpha.
    static func imageDecoder(for model: LLaVAModel, pixelLimit: Int = 100_000_000) -> ImageDecoder {
        ImageDecoder(pixelLimit: pixelLimit, alpha: model.checkpoint.layout == .original ? .drop : .compositeOnWhite)
    }
}
