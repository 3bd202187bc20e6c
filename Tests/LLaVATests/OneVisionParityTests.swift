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

/// LLaVA-OneVision from files against transformers' `LlavaOnevisionProcessor` and
/// `LlavaOnevisionForConditionalGeneration` on tiny random models (Tests/Fixtures/onevision,
/// `make_onevision_model_fixtures.py`): Qwen2 (GQA, tied head) + SigLIP in the llava-hf layout,
/// and an untied model in the newer layout taking a list of feature layers; a wide, a tall, a
/// small and a large image (the anyres_max_9 shrink), and a two-image prompt (base crops).
/// PyramidDrop and FastV kept indices come from the port of the official algorithm
/// (`Tests/Fixtures/models/make_model_fixtures.py` `pruned_forward`), per image from the same
/// port ranking each image alone (`pruned_forward_per_image`).
@Suite struct OneVisionParityTests {
    static let folder = Fixtures.path("onevision")
    static let cases = ["onevision_wide", "onevision_tall", "onevision_small", "onevision_large", "onevision_pair",
                        "layers_wide", "layers_pair"]

    static func manifest() throws -> JSON { try JSON.parse(contentsOf: folder + "/model-cases.json") }

    static func pipeline(_ folderName: String) throws -> LLaVAPipeline {
        let model = try LLaVAModel(folder: folder + "/" + folderName)
        return LLaVAPipeline(model: model, tokenizer: try Tokenizer(folder: model.checkpoint.folder), encoder: try model.imageEncoder())
    }

    static func generate(_ pipeline: LLaVAPipeline, _ state: TokenState, policy: any TokenPolicy, tokens: Int) throws -> GenerationResult {
        let language = pipeline.model.language
        return try Generator(model: language, wrapper: PyramidWrapper(model: language, policy: policy))
            .generate(prompt: state, options: GenerationOptions(maxNewTokens: tokens, stopTokenIDs: [], eligibleVocabulary: pipeline.eligibleVocabulary))
    }

    /// The rendered template, pixels, image-token counts and expanded ids equal transformers';
    /// prefill logits ≤ 1e-4 with no drops and 16 greedy tokens identical; PyramidDrop ([2, 4, 6],
    /// λ 0.5) and FastV (K 2, R 0.5) over one pool — and, for two images, per image — keep the
    /// port's indices, logits ≤ 1e-4, 4 greedy tokens equal.
    @Test(arguments: cases)
    func matchesTransformers(key: String) throws {
        let info = try Self.manifest().requireObject("cases")[key] ?? .null
        let pipeline = try Self.pipeline(try info.requireString("folder"))
        let expected = try SafeTensorsFile(path: Self.folder + "/model-expected.safetensors")
        let images = try info.requireArray("images").map {
            try ImageDecoder(alpha: .compositeOnWhite).decode(contentsOf: Self.folder + "/" + ($0.stringValue ?? ""))
        }
        #expect(pipeline.model.checkpoint.defaultTemplate == .qwen2)
        let text = try PromptTemplate.qwen2.render("What is shown in this picture?", images: images.count)
        #expect(text == (try info.requireString("prompt")))
        let encoder = pipeline.encoder.forPrompt(imageCount: images.count)
        let counts = images.map { encoder.tokenCount(for: $0.size) }
        #expect(counts == (try info.requireArray("image_tokens").compactMap(\.intValue)))
        if images.count == 1, let reference = try? expected.tensor(key + "_pixel_values"), let oneVision = encoder as? OneVisionEncoder {
            #expect(maxAbsDiff(oneVision.tiling.pixelValues(images[0]).floats, reference.floats) <= 1e-6)
        }
        let (prompt, state) = try pipeline.prompt(text: text, images: images)
        let ids = prompt.expandedIDs(imageTokenID: pipeline.model.config.imageTokenIndex!, tokensPerImage: counts)
        #expect(ids == (try expected.tensor(key + "_input_ids").integers))

        let plain = try Self.generate(pipeline, state, policy: KeepAllPolicy(), tokens: 16)
        #expect(maxAbsDiff(plain.prefillLogits, try expected.tensor(key + "_logits").floats) <= 1e-4)
        #expect(plain.tokens == (try expected.tensor(key + "_greedy").integers))

        var policies: [(String, any TokenPolicy)] = [("pdrop", try PyramidDropPolicy(boundaries: [2, 4, 6], lambda: 0.5)),
                                                     ("fastv", try FastVPolicy(k: 2, dropRatio: 0.5))]
        if images.count > 1 { policies += policies.map { ($0.0 + "_per_image", PerImagePolicy($0.1)) } }
        for (name, policy) in policies {
            let result = try Self.generate(pipeline, state, policy: policy, tokens: 4)
            for (s, stage) in result.trace.stages.enumerated() {
                #expect(stage.kept == (try expected.tensor("\(key)_\(name)_kept_\(s)").integers), "\(name) stage \(s)")
            }
            #expect(maxAbsDiff(result.prefillLogits, try expected.tensor("\(key)_\(name)_logits").floats) <= 1e-4, "\(name)")
            #expect(result.tokens == (try expected.tensor("\(key)_\(name)_greedy").integers), "\(name)")
        }
    }

    /// Policies that rank by the class token's attention are refused by name on SigLIP; DivPrune,
    /// which needs only the features, runs.
    @Test func classTokenPoliciesAreRefused() throws {
        let pipeline = try Self.pipeline("tiny-onevision")
        let image = try ImageDecoder().decode(contentsOf: Fixtures.path("llava-next/wide.png"))
        let text = try PromptTemplate.qwen2.render("What?")
        #expect(throws: LLaVAError.towerLacks(tower: "SigLIP", what: "class token, whose attention this policy ranks by (divprune, pdrop, fastv and dart need none)")) {
            try pipeline.prompt(text: text, images: [image], policy: try FasterVLMPolicy(budget: 8))
        }
        let (_, state) = try pipeline.prompt(text: text, images: [image], policy: try DivPrunePolicy(budget: 8))
        #expect(state.imageCount == 8)
    }
}
