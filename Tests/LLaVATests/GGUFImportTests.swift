import Foundation
import Imaging
import LLaVA
import LLaVAConversion
import LLaVANeXT
import PyramidDrop
import Tensors
import TestSupport
import Testing
import Tokenizer
import Transformer
import WeightIO

/// GGUF pair → llava-hf folder (`pdrop convert --from PAIR_FOLDER --to DIR`): the folder runs as
/// transformers runs the llava-hf model, its tokenizer files tokenize as the GGUF vocabulary does,
/// and a 16-bit llava-hf → GGUF → llava-hf round trip gives back every tensor's bytes.
@Suite struct GGUFImportTests {
    /// A folder holding one of the fixtures' GGUF pairs.
    static func pairFolder(_ fixture: String, text: String = "text-f16", in scratch: TemporaryDirectory) throws -> String {
        let folder = scratch.path("pair-\(fixture)-\(text)")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for file in ["\(text).gguf", "mmproj-f16.gguf"] {
            try FileManager.default.copyItem(atPath: Fixtures.path("gguf/\(fixture)/\(file)"), toPath: folder + "/" + file)
        }
        return folder
    }

    /// LLaVA-1.5's F16 pair written as llava-hf and loaded from that folder, fed transformers'
    /// ids and pixel values: prefill logits ≤ 1e-4 of LlavaForConditionalGeneration on the
    /// original safetensors model and 16 greedy tokens identical.
    @Test func llavaFolderMatchesTransformers() throws {
        let scratch = try TemporaryDirectory()
        let report = try Conversion.run(try Self.pairFolder("llava", in: scratch), into: scratch, "hf", layout: .huggingFace)
        #expect(Set(report.files) == ["model.safetensors", "config.json", "preprocessor_config.json", "tokenizer.model",
                                      "tokenizer_config.json"])
        let model = try LLaVAModel(folder: scratch.path("hf"))
        let reference = try LLaVAModel(folder: LLaVAParityTests.folder + "/tiny-llava-hf")
        #expect(model.config.imageTokenIndex == reference.config.imageTokenIndex)
        #expect(model.config.text == reference.config.text)
        let expected = try LLaVAParityTests.expected()
        let ids = try expected.tensor("input_ids").integers, pixels = try expected.tensor("pixel_values").toFloat32()
        let result = try LLaVAParityTests.run(model, ids: ids, imageTokenID: model.config.imageTokenIndex, pixels: pixels,
                                              wrapper: PyramidWrapper(model: model.language, policy: KeepAllPolicy()), tokens: 16,
                                              eligible: try expected.tensor("tokenizer_size").integers[0])
        #expect(maxAbsDiff(result.prefillLogits, try expected.tensor("logits_last").floats) <= 1e-4)
        #expect(result.tokens == (try expected.tensor("greedy_ids").integers))
    }

    /// LLaVA-NeXT's F16 pair written as llava-hf (anyres pinpoints and the newline row in the
    /// config and weights) and loaded from that folder, on each test image: prefill logits ≤ 1e-4
    /// of LlavaNextForConditionalGeneration (the prompt tokenized by the source's tokenizer.json,
    /// as in `GGUFPairTests`).
    @Test(arguments: NeXTParityTests.images)
    func nextFolderMatchesTransformers(image name: String) throws {
        let scratch = try TemporaryDirectory()
        try Conversion.run(try Self.pairFolder("llava-next", in: scratch), into: scratch, "hf", layout: .huggingFace)
        let model = try LLaVAModel(folder: scratch.path("hf"))
        let reference = try LLaVAModel(folder: NeXTParityTests.folder + "/tiny-next-vicuna")
        #expect(model.config.aspectMode == .anyres && model.config.gridPinpoints.map { [$0.height, $0.width] }
                == reference.config.gridPinpoints.map { [$0.height, $0.width] })
        try GGUFPairTests.expectNeXTParity(model, image: name, template: reference.checkpoint.defaultTemplate)
    }

    /// The written tokenizer.model + tokenizer_config.json give the tokenizer the GGUF file gives
    /// (`Tokenizer(gguf:)`, which `GGUFTokenizerTests` checks against transformers): the same ids
    /// for prompts with special tokens, bytes outside the vocabulary and spaces, the same BOS,
    /// EOS and pad, and the same text back.
    @Test(arguments: ["llava", "llava-next"])
    func tokenizerFilesMatchTheGGUFVocabulary(fixture: String) throws {
        let scratch = try TemporaryDirectory()
        try Conversion.run(try Self.pairFolder(fixture, in: scratch), into: scratch, "hf", layout: .huggingFace)
        let written = try Tokenizer(folder: scratch.path("hf"))
        let gguf = try Tokenizer(ggufPath: Fixtures.path("gguf/\(fixture)/text-f16.gguf"))
        #expect(written.bosID == gguf.bosID && written.eosID == gguf.eosID && written.padID == gguf.padID && written.unkID == gguf.unkID)
        #expect(written.vocabularySize == gguf.vocabularySize)
        for text in ["USER: <image>\nWhat is shown in this picture? ASSISTANT:", "  two  spaces, tabs\tand é ü 漢字 🙂",
                     "</s><s>hello<unk>", ""] {
            let ids = written.encode(text)
            #expect(ids == gguf.encode(text), "\(text)")
            #expect(written.decode(ids) == gguf.decode(ids), "\(text)")
        }
    }

    /// llava-hf (16-bit) → GGUF (same type) → llava-hf: every tensor of the result has the name,
    /// dtype, shape and bytes it had; the only tensors missing are the tower's layers past the
    /// feature layer and its post-layernorm, which llama.cpp's converter leaves out of the mmproj
    /// (LLaVA never runs them).
    @Test(arguments: [(DType.f16, GGUFTensorType.f16), (.bf16, .bf16)])
    func sixteenBitRoundTripIsExact(dtype: DType, type: GGUFTensorType) throws {
        let scratch = try TemporaryDirectory()
        try Conversion.run(Conversion.llava + "/tiny-llava-hf", into: scratch, "start", layout: .huggingFace, dtype: dtype)
        let start = scratch.path("start"), pair = scratch.path("pair")
        try FileManager.default.createDirectory(atPath: pair, withIntermediateDirectories: true)
        _ = try GGUFExport.write(try LLaVACheckpoint(folder: start), tokenizer: try Tokenizer(folder: start),
                                 text: pair + "/text.gguf", mmproj: pair + "/mmproj.gguf", type: type)
        try Conversion.run(pair, into: scratch, "back", layout: .huggingFace, dtype: dtype)
        let before = try WeightStore(path: start), after = try WeightStore(path: scratch.path("back"))
        for name in after.names {
            let mine = try after.tensor(name), theirs = try before.tensor(name)
            #expect(mine.dtype == theirs.dtype && mine.shape == theirs.shape, "\(name)")
            #expect(Array(mine.rawBytes) == Array(theirs.rawBytes), "\(name) bytes")
        }
        let missing = Set(before.names).subtracting(after.names)
        #expect(!missing.isEmpty && missing.allSatisfy { $0.contains("encoder.layers.2.") || $0.contains(".post_layernorm.") },
                "\(missing.sorted())")
    }

    /// A target layout other than llava-hf is refused naming the option.
    @Test func otherLayoutsAreRefused() throws {
        let scratch = try TemporaryDirectory()
        #expect {
            try Conversion.run(try Self.pairFolder("llava", in: scratch), into: scratch, "original", layout: .original)
        } throws: { "\($0)".contains("--layout") && "\($0)".contains("llava-hf only") }
    }
}
