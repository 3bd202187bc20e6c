import Imaging
import LLaVA
import LLaVANeXT
import PyramidDrop
import Tensors
import TestSupport
import Testing
import Tokenizer
import Transformer
import WeightIO

/// LLaVA-NeXT from files against transformers' LlavaNextProcessor (LlavaNextImageProcessorPil) and
/// LlavaNextForConditionalGeneration on tiny random models (Tests/Fixtures/llava-next): a Vicuna-
/// style MHA model in the llava-hf layout and a Mistral-style GQA model in the newer layout, on a
/// wide, a tall, a square and a smaller-than-tile image.
@Suite struct NeXTParityTests {
    static let folder = Fixtures.path("llava-next")
    static let images = ["wide", "tall", "square", "small"]
    static let cases = ["vicuna", "mistral"].flatMap { kind in images.map { (kind, $0) } }

    static func pipeline(_ folderName: String) throws -> LLaVAPipeline {
        let model = try LLaVAModel(folder: folder + "/" + folderName)
        return LLaVAPipeline(model: model, tokenizer: try Tokenizer(folder: model.checkpoint.folder), encoder: try AnyResEncoder(model: model))
    }

    /// Token counts equal; prefill logits ≤ 1e-4 with no drops; 16 greedy tokens identical; with
    /// PyramidDrop (quarter points, λ 0.5, the whole image block as one pool) kept indices equal.
    @Test(arguments: cases)
    func matchesTransformers(kind: String, image name: String) throws {
        let pipeline = try Self.pipeline("tiny-next-\(kind)")
        let expected = try SafeTensorsFile(path: Self.folder + "/expected.safetensors")
        let key = "\(kind)_\(name)_"
        let image = try ImageDecoder(alpha: .compositeOnWhite).decode(contentsOf: Self.folder + "/\(name).png")
        let encoder = try #require(pipeline.encoder as? AnyResEncoder)
        #expect(maxAbsDiff(encoder.tiling.pixelValues(image).floats, try expected.tensor("\(name)_pixel_values").floats) <= 1e-6)
        let tokens = try expected.tensor(key + "image_tokens").integers[0]
        #expect(encoder.tokenCount(for: image.size) == tokens)

        let text = try pipeline.model.checkpoint.defaultTemplate.render("What is shown in this picture?")
        let (prompt, state) = try pipeline.prompt(text: text, images: [image])
        let expanded = prompt.expandedIDs(imageTokenID: pipeline.model.config.imageTokenIndex!, tokensPerImage: [tokens])
        #expect(expanded == (try expected.tensor(key + "input_ids").integers))

        let language = pipeline.model.language
        let plain = try Generator(model: language, wrapper: PyramidWrapper(model: language, policy: KeepAllPolicy()))
            .generate(prompt: state, options: GenerationOptions(maxNewTokens: 16, stopTokenIDs: [], eligibleVocabulary: pipeline.eligibleVocabulary))
        #expect(maxAbsDiff(plain.prefillLogits, try expected.tensor(key + "logits").floats) <= 1e-4)
        #expect(plain.tokens == (try expected.tensor(key + "greedy").integers))

        let pyramid = try PyramidWrapper(model: language, policy: PyramidDropPolicy(boundaries: [2, 4, 6], lambda: 0.5))
        let dropped = try Generator(model: language, wrapper: pyramid)
            .generate(prompt: state, options: GenerationOptions(maxNewTokens: 4, stopTokenIDs: [], eligibleVocabulary: pipeline.eligibleVocabulary))
        for (s, stage) in dropped.trace.stages.enumerated() {
            #expect(stage.kept == (try expected.tensor(key + "pdrop_kept_\(s)").integers))
        }
        #expect(maxAbsDiff(dropped.prefillLogits, try expected.tensor(key + "pdrop_logits").floats) <= 1e-4)
        #expect(dropped.tokens == (try expected.tensor(key + "pdrop_greedy").integers))
    }

    /// The original v1.6 layout (vision tower inside, its config inferred from the weights,
    /// pinpoints stored as (w, h), `model.image_newline`): same logits as the llava-hf model.
    @Test(arguments: images)
    func originalLayout(image name: String) throws {
        let pipeline = try Self.pipeline("tiny-next-original")
        #expect(pipeline.model.checkpoint.layout == .original)
        let expected = try SafeTensorsFile(path: Self.folder + "/expected.safetensors")
        let image = try ImageDecoder(alpha: .drop).decode(contentsOf: Self.folder + "/\(name).png")
        let text = try PromptTemplate.llavaV1.render("What is shown in this picture?")
        let (_, state) = try pipeline.prompt(text: text, images: [image])
        let language = pipeline.model.language
        var caches = try PyramidWrapper(model: language, policy: KeepAllPolicy()).makeCaches()
        let wrapper = try PyramidWrapper(model: language, policy: KeepAllPolicy())
        let (final, _) = try wrapper.prefill(state, caches: &caches)
        let logits = language.logits(final.hidden.gatherRows([final.count - 1])).floats
        // The original unpads with int() rather than int(round(·, 7)); on these sizes both agree.
        #expect(maxAbsDiff(logits, try expected.tensor("vicuna_\(name)_logits").floats) <= 1e-4)
    }
}

/// Token counts of the standard LLaVA-NeXT geometry (336-pixel tiles, 14-pixel patches, the five
/// standard pinpoints) on the worked examples.
@Suite struct NeXTGeometryTests {
    static let pinpoints = [(336, 672), (672, 336), (672, 672), (1008, 336), (336, 1008)].map { ImageSize(width: $0.1, height: $0.0) }

    @Test(arguments: [(1024, 899, 2634), (1000, 1000, 2928), (640, 480, 2340)])
    func tokenCounts(width: Int, height: Int, tokens: Int) {
        let size = ImageSize(width: width, height: height)
        let best = AnyResTiling.bestResolution(for: size, among: Self.pinpoints)
        let count = FeaturePacking.tokenCount(imageHeight: height, imageWidth: width, gridRows: best.height / 336,
                                              gridColumns: best.width / 336, side: 24, rounding: .roundedToSevenDecimals)
        #expect(count == tokens)
    }

    /// Unpad keeps the rows (or columns) the aspect-keeping resize filled: `p` floors, so an odd
    /// difference keeps one extra row; int() vs int(round(·, 7)) differ where the scaled size is a
    /// hair under an integer.
    @Test func unpad() {
        let wide = FeaturePacking.unpaddedSize(rows: 48, columns: 48, imageHeight: 480, imageWidth: 640, rounding: .roundedToSevenDecimals)
        #expect(wide.rows == 36 && wide.columns == 48 && wide.top == 6)
        let tall = FeaturePacking.unpaddedSize(rows: 48, columns: 24, imageHeight: 899, imageWidth: 300, rounding: .roundedToSevenDecimals)
        #expect(tall.rows == 48 && tall.left == (24 - Int((300.0 * (48.0 / 899.0) * 1e7).rounded() / 1e7)) / 2)
    }
}
