import Imaging
import LLaVA
import PyramidDrop
import Tensors
import TestSupport
import Testing
import Tokenizer
import Transformer

/// The LLaVA pipeline hands a pre-decoder token policy each image's tokens and builds the prompt
/// from its selection.
@Suite struct PreDecoderPolicyTests {
    /// Keeps every fourth image token and checks what the tower handed it.
    struct EveryFourth: TokenPolicy {
        let name = "every-fourth"
        var visionNeeds: VisionNeeds { .towerFeatures }
        var placement: PolicyPlacement { .beforeDecoder }
        func selectImageTokens(_ image: ImageTokens) -> ImageSelection {
            let rows = Array(stride(from: 0, to: image.count, by: 4))
            return ImageSelection(features: image.features.gatherRows(rows), sources: rows, originalCount: image.count)
        }
    }

    static func image() throws -> RGBImage {
        try ImageDecoder(alpha: .compositeOnWhite).decode(contentsOf: Fixtures.path("llava") + "/sample.png")
    }

    @Test func towerFeaturesAndProjectorComeWithTheFeatures() throws {
        let pipeline = try PipelineParityTests.pipeline("tiny-llava-hf")
        let tokens = try pipeline.encoder.tokens(for: try Self.image(), needs: [.towerFeatures, .classAttention, .towerKeys])
        let crop = try #require(tokens.crops.first)
        let d = pipeline.model.config.vision.hiddenSize
        #expect(tokens.crops.count == 1 && tokens.layout == .single)
        #expect(crop.hidden.shape == [65, d] && crop.keys?.shape == [65, d] && crop.classAttention?.shape == [4, 65])
        #expect(crop.patchSources == Array(0..<64) && crop.classSource == nil)
        let project = try #require(tokens.project)
        #expect(project(crop.hidden.gatherRows(Array(1...64))).floats == tokens.features.floats)
        let plain = try pipeline.encoder.tokens(for: try Self.image(), needs: [])
        #expect(plain.crops.isEmpty && plain.features.floats == tokens.features.floats)
    }

    /// The selection enters the decoder with its original image indices; PyramidDrop composed
    /// after it keeps ⌊16 · 0.5⌋ at layer 2, and the trace starts with the pre-decoder stage.
    @Test func selectionEntersTheDecoderAndComposes() throws {
        let pipeline = try PipelineParityTests.pipeline("tiny-llava-hf")
        let policy = try ComposedPolicy(EveryFourth(), then: try PyramidDropPolicy(boundaries: [2], lambda: 0.5))
        let text = try pipeline.model.checkpoint.defaultTemplate.render("What is shown in this picture?")
        let (prompt, state) = try pipeline.prompt(text: text, images: [try Self.image()], policy: policy)
        #expect(prompt.imageCount == 1)
        #expect(state.imageCount == 16 && state.originalImageCount == 64)
        #expect(state.origins.compactMap(\.imageIndex) == Array(stride(from: 0, to: 64, by: 4)))
        let result = try Generator(model: pipeline.model.language, policy: policy)
            .generate(prompt: state, options: GenerationOptions(maxNewTokens: 2, stopTokenIDs: []))
        #expect(result.trace.imageTokens == 64)
        #expect(result.trace.stages.map(\.layer) == [0, 2])
        #expect(result.trace.stages.map(\.kept.count) == [16, 8])
        #expect(Set(result.trace.stages[1].kept).isSubset(of: Set(result.trace.stages[0].kept)))
    }

    /// A text-only prompt goes through the pipeline; an image without a slot (raw template) or a
    /// slot without an image is an error naming the counts.
    @Test func promptsWithoutImages() throws {
        let pipeline = try PipelineParityTests.pipeline("tiny-llava-hf")
        let text = try PromptTemplate.llavaHF.render("Hello there", images: 0)
        #expect(text == "USER: Hello there ASSISTANT:")
        let (prompt, state) = try pipeline.prompt(text: text, images: [])
        #expect(prompt.imageCount == 0 && state.imageCount == 0 && state.count == prompt.pieces.count)
        #expect(throws: LLaVAError.noImageSlot(prompt: "Hello")) { try pipeline.prompt(text: "Hello", images: [try Self.image()]) }
        #expect(throws: LLaVAError.imageSlotCount(slots: 2, images: 1)) {
            try pipeline.prompt(text: "<image>\n<image>\nHello", images: [try Self.image()])
        }
    }
}
