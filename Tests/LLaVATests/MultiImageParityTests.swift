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

/// Two images in one LLaVA-1.5 prompt against transformers (Tests/Fixtures/llava/
/// make_multi_image_fixtures.py): the expanded ids, logits ≤ 1e-4 and 8 greedy tokens; PyramidDrop
/// and FastV over one pool of 128 image tokens and per image (`PerImagePolicy`), each against the
/// port of the official algorithm (`pruned_forward`, per image with `image_of`).
@Suite struct MultiImageParityTests {
    static let folder = Fixtures.path("llava")

    @Test func twoImagesMatchTransformers() throws {
        let model = try LLaVAModel(folder: Self.folder + "/tiny-llava-hf")
        let pipeline = LLaVAPipeline(model: model, tokenizer: try Tokenizer(folder: model.checkpoint.folder), encoder: try model.imageEncoder())
        let expected = try SafeTensorsFile(path: Self.folder + "/multi-image/expected.safetensors")
        let images = try ["sample.png", "sample.jpg"].map { try ImageDecoder(alpha: .compositeOnWhite).decode(contentsOf: Self.folder + "/" + $0) }
        let text = try PromptTemplate.llavaHF.render("Compare the two pictures.", images: 2)
        let (prompt, state) = try pipeline.prompt(text: text, images: images)
        #expect(prompt.expandedIDs(imageTokenID: model.config.imageTokenIndex!, tokensPerImage: [64, 64])
                == (try expected.tensor("input_ids").integers))
        #expect(state.origins.filter(\.isImage).map(\.image) == Array(repeating: 0, count: 64) + Array(repeating: 1, count: 64))

        func generate(_ policy: any TokenPolicy, tokens: Int) throws -> GenerationResult {
            try Generator(model: model.language, wrapper: PyramidWrapper(model: model.language, policy: policy))
                .generate(prompt: state, options: GenerationOptions(maxNewTokens: tokens, stopTokenIDs: [], eligibleVocabulary: pipeline.eligibleVocabulary))
        }
        let plain = try generate(KeepAllPolicy(), tokens: 8)
        #expect(maxAbsDiff(plain.prefillLogits, try expected.tensor("logits").floats) <= 1e-4)
        #expect(plain.tokens == (try expected.tensor("greedy").integers))

        let pdrop = try PyramidDropPolicy(boundaries: [2, 4, 6], lambda: 0.5), fastv = try FastVPolicy(k: 2, dropRatio: 0.5)
        let policies: [(String, any TokenPolicy)] = [("pdrop", pdrop), ("fastv", fastv),
                                                     ("pdrop_per_image", PerImagePolicy(pdrop)), ("fastv_per_image", PerImagePolicy(fastv))]
        for (name, policy) in policies {
            let result = try generate(policy, tokens: 4)
            #expect(result.trace.stages.count == (name.hasPrefix("pdrop") ? 3 : 1))
            for (s, stage) in result.trace.stages.enumerated() {
                #expect(stage.kept == (try expected.tensor("\(name)_kept_\(s)").integers), "\(name) stage \(s)")
            }
            #expect(maxAbsDiff(result.prefillLogits, try expected.tensor("\(name)_logits").floats) <= 1e-4, "\(name)")
            #expect(result.tokens == (try expected.tensor("\(name)_greedy").integers), "\(name)")
        }
    }
}
