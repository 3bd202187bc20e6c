import Foundation
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

/// LLaVA-1.5 and LLaVA-NeXT read from llama.cpp GGUF pairs (Tests/Fixtures/gguf/make_llava_gguf_fixtures.py:
/// the tiny llava-hf fixtures converted as convert_hf_to_gguf.py and the LLaVA image-encoder
/// converter do it) against transformers: the whole multimodal model from the F16 pair against
/// the llava-hf model's reference outputs, and each text file against transformers loading that
/// GGUF file itself (which dequantizes and un-permutes).
@Suite struct GGUFPairTests {
    static let gguf = Fixtures.path("gguf")

    static func checkpoint(_ fixture: String, text: String = "text-f16") throws -> LLaVACheckpoint {
        try LLaVACheckpoint(gguf: "\(gguf)/\(fixture)/\(text).gguf", mmproj: "\(gguf)/\(fixture)/mmproj-f16.gguf")
    }

    /// LLaVA-1.5 from the F16 pair fed transformers' ids and pixel values: prefill logits ≤ 1e-4
    /// of LlavaForConditionalGeneration on the safetensors model, 16 greedy tokens identical, and
    /// PyramidDrop's kept tokens identical.
    @Test func llavaMatchesTransformers() throws {
        let model = try LLaVAModel(checkpoint: Self.checkpoint("llava"), compute: .f32)
        let reference = try LLaVAModel(folder: LLaVAParityTests.folder + "/tiny-llava-hf")
        #expect(model.config.vision.shape.layerCount == 2 && model.config.featureLayers == [-1])
        let expected = try LLaVAParityTests.expected()
        let ids = try expected.tensor("input_ids").integers, pixels = try expected.tensor("pixel_values").toFloat32()
        let eligible = try expected.tensor("tokenizer_size").integers[0]
        let plain = try LLaVAParityTests.run(model, ids: ids, imageTokenID: reference.config.imageTokenIndex, pixels: pixels,
                                             wrapper: PyramidWrapper(model: model.language, policy: KeepAllPolicy()), tokens: 16, eligible: eligible)
        #expect(maxAbsDiff(plain.prefillLogits, try expected.tensor("logits_last").floats) <= 1e-4)
        #expect(plain.tokens == (try expected.tensor("greedy_ids").integers))
        let pyramid = try PyramidWrapper(model: model.language, policy: PyramidDropPolicy(boundaries: [2, 4, 6], lambda: 0.5))
        let dropped = try LLaVAParityTests.run(model, ids: ids, imageTokenID: reference.config.imageTokenIndex, pixels: pixels,
                                               wrapper: pyramid, tokens: 8, eligible: eligible)
        for (s, stage) in dropped.trace.stages.enumerated() {
            #expect(stage.kept == (try expected.tensor("pdrop_kept_\(s)").integers))
        }
        #expect(maxAbsDiff(dropped.prefillLogits, try expected.tensor("pdrop_logits").floats) <= 1e-4)
    }

    /// LLaVA-NeXT from the F16 pair (anyres from the mmproj keys, `model.image_newline`) on each
    /// test image: prefill logits ≤ 1e-4 of LlavaNextForConditionalGeneration. The prompt is
    /// tokenized by the source's tokenizer.json: the fixture's GGUF vocabulary (gguf-py's
    /// `LlamaHfVocab`, every score −1000) cannot rank BPE merges, so its tokenization differs
    /// (`GGUFTokenizerTests` checks it against transformers reading the GGUF file).
    @Test(arguments: NeXTParityTests.images)
    func nextMatchesTransformers(image name: String) throws {
        let model = try LLaVAModel(checkpoint: Self.checkpoint("llava-next"), compute: .f32)
        #expect(model.config.aspectMode == .anyres && model.config.gridPinpoints.count == 5)
        try Self.expectNeXTParity(model, image: name, template: model.checkpoint.defaultTemplate)
    }

    /// `model`'s prefill logits on NeXT test image `name` (the prompt tokenized by the source's
    /// tokenizer.json) within 1e-4 of LlavaNextForConditionalGeneration's.
    static func expectNeXTParity(_ model: LLaVAModel, image name: String, template: PromptTemplate) throws {
        let pipeline = LLaVAPipeline(model: model, tokenizer: try Tokenizer(folder: NeXTParityTests.folder + "/tiny-next-vicuna"),
                                     encoder: try AnyResEncoder(model: model))
        let expected = try SafeTensorsFile(path: NeXTParityTests.folder + "/expected.safetensors")
        let image = try ImageDecoder(alpha: .drop).decode(contentsOf: NeXTParityTests.folder + "/\(name).png")
        let (_, state) = try pipeline.prompt(text: try template.render("What is shown in this picture?"), images: [image])
        let result = try Generator(model: model.language, wrapper: PyramidWrapper(model: model.language, policy: KeepAllPolicy()))
            .generate(prompt: state, options: GenerationOptions(maxNewTokens: 1, stopTokenIDs: []))
        #expect(maxAbsDiff(result.prefillLogits, try expected.tensor("vicuna_\(name)_logits").floats) <= 1e-4)
    }

    /// Each text file's last-token logits against transformers on that GGUF file, for the
    /// prompt's ids: F16 ≤ 1e-4; Q8_0 and Q4_0 (the same dequantized weights, the activations
    /// of the one-row LM head quantized to int8 as ggml does) ≤ 2 % of the logits' largest
    /// magnitude; the legacy file (Q4_1, Q5_0, Q5_1, requantized to Q8_0 at load: one more
    /// rounding of each weight, which on these tiny random weights moves transformers' own logits
    /// by 5–8 % between the F16 and Q8_0 files) ≤ 5 %; the same greedy token.
    @Test(arguments: ["llava", "llava-next"].flatMap { fixture in ["text-f16", "text-q8_0", "text-q4_0", "text-legacy"].map { (fixture, $0) } })
    func textModelMatchesTransformersGGUF(fixture: String, text: String) throws {
        let model = try LLaVAModel(checkpoint: Self.checkpoint(fixture, text: text), compute: .f32)
        let reference = try JSON.parse(contentsOf: "\(Self.gguf)/\(fixture)/expected.json")
        let run = try #require(reference.value(at: ["files", "\(text).gguf", "model"]))
        let ids = try #require(run["prompt_ids"]?.arrayValue).compactMap { $0.intValue }
        let logits = try #require(run["last_logits"]?.arrayValue).compactMap { $0.doubleValue.map(Float.init) }
        let state = try model.promptState(Prompt(pieces: ids.map { .text($0) }), images: [Tensor]())
        let result = try Generator(model: model.language, wrapper: PyramidWrapper(model: model.language, policy: KeepAllPolicy()))
            .generate(prompt: state, options: GenerationOptions(maxNewTokens: 1, stopTokenIDs: []))
        let scale = logits.map(abs).max()!
        let bound: Float = text == "text-f16" ? 1e-4 : (text == "text-legacy" ? 0.05 : 0.02) * scale
        #expect(maxAbsDiff(result.prefillLogits, logits) <= bound, "\(fixture)/\(text)")
        #expect(result.tokens.first == run["greedy_next"]?.intValue)
    }

    /// The quantized text files keep their blocks: Q8_0/Q4_0 matrices are computed on as stored
    /// (repacked for the GEMV), norms stay F32.
    @Test func quantizedTensorsAreKept() throws {
        let store = try Self.checkpoint("llava", text: "text-q4_0").weights
        #expect(store.info("language_model.model.layers.0.self_attn.q_proj.weight")?.dtype == .q4_0)
        #expect(store.info("language_model.model.layers.0.input_layernorm.weight")?.dtype == .f32)
        #expect(store.info("vision_tower.vision_model.encoder.layers.0.mlp.fc1.weight")?.shape == [64, 32])
    }

    /// Q4_1, Q5_0 and Q5_1 matrices are served as Q8_0 requantized from ggml's dequantization,
    /// and the pair says so.
    @Test func legacyFormatsAreRequantized() throws {
        let checkpoint = try Self.checkpoint("llava", text: "text-legacy")
        let name = "language_model.model.layers.0.self_attn.v_proj.weight"
        let tensor = try checkpoint.weights.tensor(name)
        #expect(tensor.dtype == .q8_0 && checkpoint.weights.info(name)?.dtype == .q8_0)
        let file = try #require(checkpoint.gguf?.model), entry = try #require(file.tensor(named: "blk.0.attn_v.weight"))
        #expect(GGUFTensorType.requantizedOnLoad.contains(entry.type))
        let exact = try file.floats(of: entry)
        #expect(tensor.floats == Tensor(shape: entry.shape, values: exact).quantized(to: .q8_0).floats)
        #expect(checkpoint.gguf?.requantizationNote?.hasPrefix("Q4_1, Q5_0, Q5_1 → Q8_0 at load (") == true)
    }
}
