import PyramidDrop
import Tensors
import TestSupport
import Testing
import Transformer

/// The three kinds of hook points of `TokenPolicy`, on the toy layer and on tiny LLaMA.
@Suite struct PolicyHookTests {
    /// A policy acting after layer 0 from the keys that pass appended: keeps the image tokens whose
    /// key is largest.
    struct LargestKeyPolicy: TokenPolicy {
        let name = "largest-key"
        func layerHooks(layerCount: Int) throws -> [LayerHook] { [.after(0, needs: .keys)] }
        func keep(_ state: TokenState, at hook: LayerHook, context: HookContext) -> [Int] {
            let keys = context.evidence.keys!.floats
            return state.imageRows.sorted { keys[$0] > keys[$1] }.prefix(2).sorted()
        }
    }

    /// A pre-decoder policy: keeps the even image tokens.
    struct EvenTokensPolicy: TokenPolicy {
        let name = "even"
        func selectImageTokens(_ image: ImageTokens) -> ImageSelection {
            let rows = Array(stride(from: 0, to: image.count, by: 2))
            return ImageSelection(features: image.features.gatherRows(rows), sources: rows, originalCount: image.count)
        }
    }

    @Test func afterLayerHookSeesTheKeysOfThatPass() throws {
        let wrapper = try PyramidWrapper(layers: Array(repeating: ToyLayer(), count: 3), policy: LargestKeyPolicy())
        var caches = wrapper.makeCaches()
        let (state, trace) = try wrapper.prefill(RetrofitTests.prompt, caches: &caches)
        // The toy layer's keys are its outputs (input + 1): the largest image values are 9 and 8.
        #expect(trace.stages.map(\.layer) == [1])
        #expect(trace.stages.map(\.kept) == [[1, 5]])
        #expect(trace.tokensPerLayer == [9, 5, 5])
        #expect(caches.layers.map(\.count) == [9, 5, 5])
        #expect(state.origins.map(\.promptIndex) == [0, 1, 3, 7, 8])
    }

    @Test func hooksOutsideTheModelAreRefused() throws {
        #expect(throws: PyramidDropError.boundaryOutOfRange(boundary: 4, layerCount: 4)) {
            try PyramidWrapper(layers: Array(repeating: ToyLayer(), count: 4), policy: PyramidDropPolicy(boundaries: [2, 4], lambda: 0.5))
        }
        #expect(throws: PyramidDropError.boundaryOutOfRange(boundary: 3, layerCount: 3)) {
            try PyramidWrapper(layers: Array(repeating: ToyLayer(), count: 3), policy: FastVPolicy(k: 3, dropRatio: 0.5))
        }
    }

    /// A pre-decoder selection composed with PyramidDrop: the trace starts with the pre-decoder
    /// stage (indices into the original image tokens), in-decoder budgets are relative to what
    /// entered the decoder, and origins keep the original image indices.
    @Test func preDecoderSelectionComposesWithPyramidDrop() throws {
        let policy = try ComposedPolicy(EvenTokensPolicy(), then: try PyramidDropPolicy(boundaries: [1], lambda: 0.5))
        let features = Tensor(shape: [6, 1], values: [5, 9, 1, 7, 3, 8])
        let selection = try policy.selectImageTokens(ImageTokens(features: features))
        #expect(selection.sources == [0, 2, 4] && selection.originalCount == 6)
        #expect(selection.features.floats == [5, 1, 3])
        let origins = [TokenOrigin(promptIndex: 0, imageIndex: nil)]
            + selection.sources.enumerated().map { TokenOrigin(promptIndex: 1 + $0.offset, imageIndex: $0.element) }
            + [TokenOrigin(promptIndex: 4, imageIndex: nil)]
        let prompt = TokenState(hidden: Tensor(shape: [5, 1], values: [1, 5, 1, 3, 1]), positions: Array(0..<5), origins: origins,
                                originalImageCount: 6)
        let wrapper = try PyramidWrapper(layers: Array(repeating: ToyLayer(), count: 2), policy: policy)
        var caches = wrapper.makeCaches()
        let (_, trace) = try wrapper.prefill(prompt, caches: &caches)
        #expect(trace.imageTokens == 6)
        #expect(trace.stages.map(\.layer) == [0, 1])
        // ⌊3 · 0.5⌋ = 1 of the 3 that entered: the largest, image token 0 (value 5 + 1).
        #expect(trace.stages.map(\.kept) == [[0, 2, 4], [0]])
        #expect(policy.name == "even+pdrop")
        #expect(policy.parameters == ["ratio": 0.5])
    }

    /// A merged token counts as an image token (a drop candidate) but stands for no one patch.
    @Test func mergedImageTokensAreCandidatesWithoutAnIndex() {
        let merged = TokenOrigin.mergedImage(promptIndex: 3)
        #expect(merged.isImage && merged.imageIndex == nil)
        let state = TokenState(hidden: Tensor(shape: [3, 1], values: [0, 1, 2]), positions: [0, 1, 2],
                               origins: [.init(promptIndex: 0, imageIndex: nil), .init(promptIndex: 1, imageIndex: 4), merged])
        #expect(state.imageRows == [1, 2])
        #expect(state.originalImageCount == 2)
    }

    /// LLaMA's layer hands out the last token's attention row from its own forward pass; it
    /// equals the default (a separate scoring projection) to float rounding, and the keys are
    /// the rows the pass appended.
    @Test(arguments: ["llama", "mistral", "qwen2"])
    func forwardPassEvidenceMatchesTheScoringProjection(model name: String) throws {
        let model = try ModelFixtures.languageModel(name)
        let prompt = try DropParityTests.prompt(try ModelFixtures.expected(name))
        let layer = model.layers[1]
        let expected = layer.attention(of: [prompt.count - 1], in: prompt).floats
        var state = prompt
        var cache: any KVStore = F32KVStore()
        let evidence = layer.forward(&state, cache: &cache, observing: [.lastTokenAttention, .keys])
        #expect(maxAbsDiff(evidence.lastTokenAttention ?? [], expected) <= 1e-6)
        #expect(evidence.keys?.floats == cache.keys(0..<prompt.count).floats)
        // And the layer's output is the plain forward's, bit for bit.
        var plain = prompt
        var plainCache: any KVStore = F32KVStore()
        layer.forward(&plain, cache: &plainCache)
        #expect(state.hidden.floats == plain.hidden.floats)
    }
}
