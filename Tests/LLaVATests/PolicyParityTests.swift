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

/// FasterVLM, VisionZip, DivPrune and DART against PyTorch ports of their official code
/// (`Tests/Fixtures/policies/port_*.py`, each citing the official file and function), run by
/// `make_policy_fixtures.py` on the tiny LLaVA-1.5 and LLaVA-NeXT checkpoints with transformers:
/// the image tokens entering the decoder (or layer K, for DART) are the same original tokens in
/// the same order, merged features ≤ 1e-4, prefill logits ≤ 1e-4 and 8 greedy tokens equal.
@Suite struct PolicyParityTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String, model: String, image: String, prompt: String, policy: String, budget: Int
        var testDescription: String { name }
    }

    static let cases: [Case] = {
        guard case .array(let items)? = try? JSON.parse(contentsOf: Fixtures.path("policies/cases.json")) else { return [] }
        return items.compactMap { item in
            guard case .object(let o) = item, case .string(let name)? = o["name"], case .string(let model)? = o["model"],
                  case .string(let image)? = o["image"], case .string(let prompt)? = o["prompt"],
                  case .string(let policy)? = o["policy"], case .int(let budget)? = o["budget"] else { return nil }
            return Case(name: name, model: model, image: image, prompt: prompt, policy: policy, budget: budget)
        }
    }()

    static let expected = Result { try Fixtures.tensors("policies/expected.safetensors") }

    static func pipeline(_ model: String) throws -> LLaVAPipeline {
        let llava = try LLaVAModel(folder: Fixtures.path(model))
        let encoder: any ImageEncoder = llava.config.gridPinpoints.isEmpty ? try SingleCropEncoder(model: llava) : try AnyResEncoder(model: llava)
        return LLaVAPipeline(model: llava, tokenizer: try Tokenizer(folder: llava.checkpoint.folder), encoder: encoder)
    }

    @Test func everyPolicyHasCases() {
        #expect(Set(Self.cases.map(\.policy)) == ["fastervlm", "visionzip", "divprune", "dart"])
        #expect(Self.cases.count == 16)
    }

    @Test(arguments: cases)
    func matchesTheOfficialPort(_ c: Case) throws {
        let expected = try Self.expected.get()
        let pipeline = try Self.pipeline(c.model)
        let image = try ImageDecoder(alpha: .compositeOnWhite).decode(contentsOf: Fixtures.path(c.image))
        let policy = try PolicyRequest(c.policy, budget: c.budget).make(layerCount: pipeline.model.config.text.layerCount)
        let (_, state) = try pipeline.prompt(text: c.prompt, images: [image], policy: policy)
        let sources = try tensor(expected, "\(c.name)_sources").integers
        let result = try Generator(model: pipeline.model.language, policy: policy)
            .generate(prompt: state, options: GenerationOptions(maxNewTokens: 8, stopTokenIDs: [], eligibleVocabulary: pipeline.eligibleVocabulary))
        if c.policy == "dart" {
            #expect(result.trace.stages.map(\.layer) == [2])
            #expect(result.trace.stages.first?.kept == sources)
        } else {
            let rows = state.imageRows
            #expect(rows.map { state.origins[$0].imageIndex ?? -1 } == sources)
            let features = try tensor(expected, "\(c.name)_features")
            expectClose(state.hidden.gatherRows(rows), features, relative: 0, absolute: 1e-4, "\(c.name) features")
            #expect(result.trace.stages.first?.count == sources.count)
        }
        expectClose(result.prefillLogits, try tensor(expected, "\(c.name)_logits").floats, relative: 0, absolute: 1e-4, "\(c.name) logits")
        #expect(result.tokens == (try tensor(expected, "\(c.name)_greedy").integers))
    }
}
