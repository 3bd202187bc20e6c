import PyramidDrop
import Tensors
import TestSupport
import Testing
import Transformer
import WeightIO

/// bf16 compute against transformers run with the same roundings (bf16 operands in every
/// multi-row product, f32 elsewhere: Tests/Fixtures/models/make_bf16_compute_fixtures.py).
/// What is left is the order of f32 sums (oneDNN blocks them), so the tolerance is 2e-3 on
/// logits of magnitude ~3; the drift of bf16 compute from f32 compute on the same weights is
/// stated beside it (measured: llama 0.084, mistral 0.062, CLIP features 0.004) and greedy
/// tokens do not change. Skipped where the CPU has no native bf16 matmul, with the reason.
@Suite(.enabled(if: OneDNNMatmul.isNative, "no native bf16 matmul here (\(OneDNNMatmul.implementation))"))
struct BF16ComputeParityTests {
    static let tolerance: Float = 2e-3
    let expected: SafeTensorsFile

    init() throws {
        expected = try SafeTensorsFile(path: ModelFixtures.model("bf16-compute.safetensors"))
    }

    /// (model fixture, weights, bound on the drift from f32 compute on the same weights).
    static let models: [(String, String, Float)] = [("llama", "llama-bf16", 0.15), ("mistral", "mistral", 0.15)]

    @Test(arguments: models)
    func logitsMatchTransformersWithBF16Products(name: String, weights: String, driftBound: Float) throws {
        let model = try ModelFixtures.languageModel(weights, compute: .bf16)
        #expect(model.layers.allSatisfy { $0.compute == .bf16 && $0.qProj.weight.dtype == .bf16 })
        let logits = try model.forward(try expected.tensor("\(name)_input_ids").integers).floats
        #expect(maxAbsDiff(logits, try expected.tensor("\(name)_logits").floats) <= Self.tolerance)
        let f32 = try ModelFixtures.languageModel(weights).forward(try expected.tensor("\(name)_input_ids").integers).floats
        let drift = maxAbsDiff(logits, f32)
        #expect(drift > 0 && drift <= driftBound, "drift from f32 compute \(drift)")
    }

    @Test(arguments: models)
    func greedyTokensMatchTransformers(name: String, weights: String, driftBound: Float) throws {
        let model = try ModelFixtures.languageModel(weights, compute: .bf16)
        let prompt = try expected.tensor("\(name)_greedy_prompt").integers
        let state = TokenState(hidden: try model.embed(prompt), isImage: Array(repeating: false, count: prompt.count))
        let result = try Generator(model: model, policy: KeepAllPolicy())
            .generate(prompt: state, options: GenerationOptions(maxNewTokens: 16, stopTokenIDs: []))
        #expect(result.tokens == (try expected.tensor("\(name)_greedy_ids").integers))
    }

    /// The CLIP tower (patch embedding, projections, per-head attention products) and the
    /// projector on the bf16 path.
    @Test func clipFeaturesAndProjector() throws {
        let store = try WeightStore(path: ModelFixtures.model("clip") + "/model.safetensors")
        let config = try CLIPVisionConfig(json: ModelFixtures.config("clip"), source: "clip/config.json")
        let encoder = try CLIPVisionEncoder(store, prefix: "", config: config, featureLayer: -2, selection: .full, compute: .bf16)
        #expect(encoder.patchEmbedding.compute == .bf16 && encoder.layers.allSatisfy { $0.compute == .bf16 })
        let features = encoder(try ModelFixtures.expected("clip").tensor("pixel_values").toFloat32())
        #expect(maxAbsDiff(features.floats, try expected.tensor("clip_hidden_minus_2").floats) <= Self.tolerance)
        let projectorStore = try WeightStore(path: ModelFixtures.model("clip") + "/projector.safetensors")
        let projector = try MLPProjector(projectorStore, first: "linear_1", second: "linear_2", visionHidden: 32, textHidden: 48,
                                         compute: .bf16)
        let projected = projector(features.gatherRows(Array(1..<features.shape[0])))
        #expect(maxAbsDiff(projected.floats, try expected.tensor("clip_projected").floats) <= Self.tolerance)
    }

    /// Weights rounded at load are owned BF16 copies; the file's pages were released but the
    /// store still reads the original values (the pages come back from disk).
    @Test func roundingAtLoadKeepsTheFileReadable() throws {
        let store = try WeightStore(path: ModelFixtures.model("mistral"))
        let name = "model.layers.0.mlp.up_proj"
        let before = try store.tensor("\(name).weight").floats
        let linear = try Linear(store, name, out: 64, in: 32, bias: false, compute: .bf16)
        #expect(linear.weight.dtype == .bf16 && linear.compute == .bf16)
        #expect(linear.weight.floats == before.map { HalfPrecision.floatFromBF16(HalfPrecision.bf16FromFloat($0)) })
        #expect(try store.tensor("\(name).weight").floats == before)
    }

    /// `auto` takes bf16 only for BF16 weights; F32/F16 weights stay on f32.
    @Test func autoFollowsTheStoredDType() throws {
        #expect(try ModelFixtures.languageModel("llama-bf16", compute: .auto).layers[0].compute == .bf16)
        #expect(try ModelFixtures.languageModel("llama-f16", compute: .auto).layers[0].compute == .f32)
        #expect(try ModelFixtures.languageModel("llama", compute: .auto).layers[0].compute == .f32)
    }
}
