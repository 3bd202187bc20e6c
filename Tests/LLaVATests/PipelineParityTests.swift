import Foundation
import Imaging
import LLaVA
import PyramidDrop
import Tensors
import TestSupport
import Testing
import Tokenizer
import Transformer
import WeightIO

/// The whole LLaVA-1.5 pipeline from files — our tokenizer, image decoding and preprocessing —
/// against what transformers' LlavaProcessor (CLIPImageProcessorPil) and
/// LlavaForConditionalGeneration produced from the same image and prompt.
@Suite struct PipelineParityTests {
    static let folder = Fixtures.path("llava")

    static func pipeline(_ name: String) throws -> LLaVAPipeline {
        let model = try LLaVAModel(folder: folder + "/" + name)
        return LLaVAPipeline(model: model, tokenizer: try Tokenizer(folder: model.checkpoint.folder), encoder: try SingleCropEncoder(model: model))
    }

    @Test(arguments: ["tiny-llava-hf", "tiny-llava-hf-new"])
    func promptFromFilesMatchesTheProcessor(name: String) throws {
        let pipeline = try Self.pipeline(name)
        let expected = try SafeTensorsFile(path: Self.folder + "/expected.safetensors")
        let image = try ImageDecoder(alpha: .compositeOnWhite).decode(contentsOf: Self.folder + "/sample.png")
        // The preprocessed pixels are the processor's.
        let pixels = try pipeline.model.checkpoint.clipPreprocessor().pixelValues(image)
        #expect(maxAbsDiff(pixels.floats, try expected.tensor("pixel_values").floats) <= 1e-6)
        // The prompt ids, with the image slot expanded, are the processor's.
        let text = try pipeline.model.checkpoint.defaultTemplate.render("What is shown in this picture?")
        let (prompt, state) = try pipeline.prompt(text: text, images: [image])
        let expanded = prompt.expandedIDs(imageTokenID: pipeline.model.config.imageTokenIndex!, tokensPerImage: [64])
        #expect(expanded == (try expected.tensor("input_ids").integers))
        let wrapper = try PyramidWrapper(model: pipeline.model.language, policy: KeepAllPolicy())
        let result = try Generator(model: pipeline.model.language, wrapper: wrapper)
            .generate(prompt: state, options: GenerationOptions(maxNewTokens: 16, stopTokenIDs: [], eligibleVocabulary: pipeline.eligibleVocabulary))
        #expect(maxAbsDiff(result.prefillLogits, try expected.tensor("logits_last").floats) <= 1e-4)
        #expect(result.tokens == (try expected.tensor("greedy_ids").integers))
    }

    /// The original layout end to end: the llava_v1 template, chunked tokenisation around the
    /// −200 marker, pad-to-square preprocessing, the CLIP tower from the folder named by
    /// mm_vision_tower.
    @Test func originalLayoutFromFiles() throws {
        let pipeline = try Self.pipeline("tiny-llava-original")
        let expected = try SafeTensorsFile(path: Self.folder + "/expected.safetensors")
        let image = try ImageDecoder(alpha: .drop).decode(contentsOf: Self.folder + "/sample.png")
        let pixels = try pipeline.model.checkpoint.clipPreprocessor().pixelValues(image)
        #expect(maxAbsDiff(pixels.floats, try expected.tensor("original_pixel_values").floats) <= 1e-6)
        #expect(pipeline.model.checkpoint.defaultTemplate == .llavaV1)
        let text = try pipeline.model.checkpoint.defaultTemplate.render("What is shown in this picture?")
        let (prompt, state) = try pipeline.prompt(text: text, images: [image])
        #expect(prompt.expandedIDs(imageTokenID: -200, tokensPerImage: [1]) == (try expected.tensor("original_ids_marked").integers))
        let wrapper = try PyramidWrapper(model: pipeline.model.language, policy: KeepAllPolicy())
        let result = try Generator(model: pipeline.model.language, wrapper: wrapper)
            .generate(prompt: state, options: GenerationOptions(maxNewTokens: 1, stopTokenIDs: []))
        #expect(maxAbsDiff(result.prefillLogits, try expected.tensor("original_logits_last").floats) <= 1e-4)
    }
}

/// Older CLIP folders write `"size": 336, "crop_size": 336` as plain integers.
@Suite struct PreprocessorConfigTests {
    @Test func plainIntegerSizesAreRead() throws {
        let scratch = try TemporaryDirectory()
        let source = Fixtures.path("llava/tiny-llava-hf")
        for file in ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"] {
            try FileManager.default.copyItem(atPath: source + "/" + file, toPath: scratch.path(file))
        }
        try FileBytes.writeAtomically(Array(#"{"size": 98, "crop_size": 84, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]}"#.utf8),
                                      to: scratch.path("preprocessor_config.json"))
        let preprocessor = try LLaVACheckpoint(folder: scratch.path).clipPreprocessor()
        #expect(preprocessor.shortestEdge == 98)
        #expect(preprocessor.cropSize == ImageSize(width: 84, height: 84))
        #expect(preprocessor.mean == [0.5, 0.5, 0.5])
    }
}
