import LLaVA
import PyramidDrop
import Tensors
import TestSupport
import Testing
import Tokenizer
import Transformer
import WeightIO

/// Parity with transformers' `LlavaForConditionalGeneration` on a tiny random LLaVA-1.5 stored in
/// each checkpoint layout (Tests/Fixtures/llava/make_llava_fixtures.py), fed the token ids and
/// pixel values transformers' own processor produced.
@Suite struct LLaVAParityTests {
    static let folder = Fixtures.root.appendingPathComponent("llava").path
    static func expected() throws -> SafeTensorsFile { try SafeTensorsFile(path: folder + "/expected.safetensors") }

    /// Runs the processor's ids, whose one image is a run of `imageTokenID` (`tokensPerImage` long).
    static func run(_ model: LLaVAModel, ids: [Int], imageTokenID: Int? = nil, tokensPerImage: Int = 64, pixels: Tensor,
                    wrapper: PyramidWrapper, tokens: Int, eligible: Int) throws -> GenerationResult {
        let prompt = try Prompt(expandedIDs: ids, imageTokenID: imageTokenID ?? model.config.imageTokenIndex!, tokensPerImage: [tokensPerImage])
        let state = try model.promptState(prompt, images: [model.imageFeatures(pixels)])
        return try Generator(model: model.language, wrapper: wrapper)
            .generate(prompt: state, options: GenerationOptions(maxNewTokens: tokens, stopTokenIDs: [], eligibleVocabulary: eligible))
    }

    /// Every llava-hf layout: layout detected, prefill logits max |Δ| ≤ 1e-4 with no drops,
    /// 16 greedy tokens identical (ids past the tokenizer masked, as in the reference).
    @Test(arguments: [("tiny-llava-hf", LLaVALayout.huggingFace), ("tiny-llava-hf-v5", .huggingFace), ("tiny-llava-hf-new", .huggingFaceNew)])
    func huggingFaceLayouts(name: String, layout: LLaVALayout) throws {
        let model = try LLaVAModel(folder: Self.folder + "/" + name)
        #expect(model.checkpoint.layout == layout)
        let expected = try Self.expected()
        let wrapper = try PyramidWrapper(model: model.language, policy: KeepAllPolicy())
        let result = try Self.run(model, ids: try expected.tensor("input_ids").integers,
                                  pixels: try expected.tensor("pixel_values").toFloat32(), wrapper: wrapper, tokens: 16,
                                  eligible: try expected.tensor("tokenizer_size").integers[0])
        #expect(maxAbsDiff(result.prefillLogits, try expected.tensor("logits_last").floats) <= 1e-4)
        #expect(result.tokens == (try expected.tensor("greedy_ids").integers))
    }

    /// PyramidDrop at the quarter points [2, 4, 6] with λ = 0.5 and FastV (K 2, R 0.5) on the
    /// 64 image tokens: kept indices identical, logits ≤ 1e-4, 8 greedy tokens identical.
    @Test(arguments: ["pdrop", "fastv"])
    func drops(policy: String) throws {
        let model = try LLaVAModel(folder: Self.folder + "/tiny-llava-hf")
        let expected = try Self.expected()
        let wrapper = policy == "pdrop"
            ? try PyramidWrapper(model: model.language, policy: PyramidDropPolicy(boundaries: [2, 4, 6], lambda: 0.5))
            : try PyramidWrapper(model: model.language, policy: FastVPolicy(k: 2, dropRatio: 0.5))
        let result = try Self.run(model, ids: try expected.tensor("input_ids").integers,
                                  pixels: try expected.tensor("pixel_values").toFloat32(), wrapper: wrapper, tokens: 8,
                                  eligible: try expected.tensor("tokenizer_size").integers[0])
        #expect(result.trace.imageTokens == 64)
        for (s, stage) in result.trace.stages.enumerated() {
            #expect(stage.kept == (try expected.tensor("\(policy)_kept_\(s)").integers))
        }
        #expect(result.trace.stages.count == (policy == "pdrop" ? 3 : 1))
        #expect(maxAbsDiff(result.prefillLogits, try expected.tensor("\(policy)_logits").floats) <= 1e-4)
        #expect(result.tokens == (try expected.tensor("\(policy)_greedy").integers))
    }

    /// The original layout (flat config, separate CLIP folder named by mm_vision_tower, −200
    /// marker prompts, pad-to-square preprocessing): logits ≤ 1e-4.
    @Test func originalLayout() throws {
        let model = try LLaVAModel(folder: Self.folder + "/tiny-llava-original")
        #expect(model.checkpoint.layout == .original)
        #expect(model.config.aspectMode == .padToSquare)
        let expected = try Self.expected()
        let wrapper = try PyramidWrapper(model: model.language, policy: KeepAllPolicy())
        let result = try Self.run(model, ids: try expected.tensor("original_ids_marked").integers, imageTokenID: -200, tokensPerImage: 1,
                                  pixels: try expected.tensor("original_pixel_values").toFloat32(), wrapper: wrapper, tokens: 1,
                                  eligible: model.language.vocabularySize)
        #expect(maxAbsDiff(result.prefillLogits, try expected.tensor("original_logits_last").floats) <= 1e-4)
    }

    /// Vision tower (feature layer −2, class token dropped) + projector: max |Δ| ≤ 1e-5.
    @Test func imageFeatures() throws {
        let model = try LLaVAModel(folder: Self.folder + "/tiny-llava-hf")
        let expected = try Self.expected()
        let features = model.imageFeatures(try expected.tensor("pixel_values").toFloat32())
        #expect(features.shape == [64, 32])
        #expect(maxAbsDiff(features.floats, try expected.tensor("image_features").floats) <= 1e-5)
    }

    @Test func mismatchedImageSlotsAreAnError() throws {
        let model = try LLaVAModel(folder: Self.folder + "/tiny-llava-hf")
        let ids = [1, 5] + Array(repeating: model.config.imageTokenIndex!, count: 64) + [7]
        #expect(throws: TokenizerError.imageTokenCount(found: 64, expected: 63)) {
            try Prompt(expandedIDs: ids, imageTokenID: model.config.imageTokenIndex!, tokensPerImage: [63])
        }
        let prompt = try Prompt(expandedIDs: ids, imageTokenID: model.config.imageTokenIndex!, tokensPerImage: [64])
        #expect(prompt.pieces == [.text(1), .text(5), .image(slot: 0), .text(7)])
        #expect(throws: LLaVAError.imageSlotCount(slots: 1, images: 2)) {
            try model.promptState(prompt, images: [Tensor(zeros: [64, 32]), Tensor(zeros: [64, 32])])
        }
        #expect(throws: LLaVAError.featureWidth(expected: 32, found: 16)) { try model.promptState(prompt, images: [Tensor(zeros: [64, 16])]) }
    }

    /// A prompt without an image: the text embeddings only, no image tokens, and the same
    /// logits as the language model run on the ids alone.
    @Test func textOnlyPrompt() throws {
        let model = try LLaVAModel(folder: Self.folder + "/tiny-llava-hf")
        let ids = [1, 5, 9, 7]
        let state = try model.promptState(Prompt(ids: ids), images: [Tensor]())
        #expect(state.imageCount == 0 && state.originalImageCount == 0)
        #expect(state.hidden.floats == (try model.language.embed(ids)).floats)
    }

    @Test func unusableFoldersAreErrors() throws {
        #expect(throws: WeightIOError.cannotOpen(path: "/nonexistent", reason: "no such file or folder")) {
            try LLaVAModel(folder: Self.folder + "/tiny-llava-original", visionTower: "/nonexistent")
        }
        // A folder whose safetensors hold no LLaVA tensors (here: the reference outputs).
        #expect(throws: LLaVAError.self) { try LLaVAModel(folder: Self.folder) }
    }
}
