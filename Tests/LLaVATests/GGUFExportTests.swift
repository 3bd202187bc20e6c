import Foundation
import LLaVA
import LLaVAConversion
import TestSupport
import Testing
import Tokenizer
import WeightIO

/// `GGUFExport` against what llama.cpp's converters write for the same checkpoints (the fixture
/// pairs of Tests/Fixtures/gguf, made by gguf-py under convert_hf_to_gguf.py's and the LLaVA
/// image-encoder converter's rules): the same metadata and, tensor by tensor, the same type,
/// dimensions and bytes — F16, and Q8_0/Q4_0 quantized as ggml's reference quantizer does.
@Suite struct GGUFExportTests {
    /// Keys the reference writes that carry no model content here, or that gguf-py's
    /// `SpecialVocab` sets from its own reading of the files: `general.name` (a title from the
    /// folder), `general.description`, `clip.vision.projection_dim` (unused by llama.cpp's LLaVA
    /// graph), `tokenizer.ggml.add_sep_token`, and `tokenizer.ggml.add_eos_token`, which the
    /// export always states.
    static let unchecked: Set<String> = ["general.name", "general.description", "clip.vision.projection_dim",
                                         "tokenizer.ggml.add_sep_token", "tokenizer.ggml.add_eos_token"]

    static func compare(_ written: String, _ reference: String) throws {
        let ours = try GGUFFile(path: written), theirs = try GGUFFile(path: reference)
        let keys = Set(theirs.metadata.map(\.key)).union(ours.metadata.map(\.key)).subtracting(Self.unchecked)
        for key in keys.sorted() {
            #expect(ours[key] == theirs[key], "\(key)")
        }
        #expect(Set(ours.tensors.map(\.name)) == Set(theirs.tensors.map(\.name)))
        for tensor in theirs.tensors {
            guard let mine = ours.tensor(named: tensor.name) else { continue }
            #expect(mine.type == tensor.type && mine.dimensions == tensor.dimensions, "\(tensor.name)")
            #expect(Array(ours.bytes(of: mine)) == Array(theirs.bytes(of: tensor)), "\(tensor.name) bytes")
        }
    }

    @Test(arguments: [("llava", "llava/tiny-llava-hf"), ("llava-next", "llava-next/tiny-next-vicuna")])
    func matchesLlamaCppConverters(fixture: String, source: String) throws {
        let scratch = try TemporaryDirectory()
        let checkpoint = try LLaVACheckpoint(folder: Fixtures.path(source))
        let tokenizer = try Tokenizer(folder: Fixtures.path(source))
        for (type, name) in [(GGUFTensorType.f16, "text-f16"), (.q8_0, "text-q8_0"), (.q4_0, "text-q4_0")] {
            let text = scratch.path("\(name).gguf"), mmproj = scratch.path("mmproj.gguf")
            _ = try GGUFExport.write(checkpoint, tokenizer: tokenizer, text: text, mmproj: type == .f16 ? mmproj : nil, type: type)
            try Self.compare(text, Fixtures.path("gguf/\(fixture)/\(name).gguf"))
            if type == .f16 { try Self.compare(mmproj, Fixtures.path("gguf/\(fixture)/mmproj-f16.gguf")) }
        }
    }

    /// A GGUF pair written again as F16 is the pair it was (rows un-permuted on reading and
    /// permuted back, the tokenizer keys carried over).
    @Test func ggufRoundTrip() throws {
        let scratch = try TemporaryDirectory()
        let source = Fixtures.path("gguf/llava-next")
        let checkpoint = try LLaVACheckpoint(gguf: source + "/text-f16.gguf", mmproj: source + "/mmproj-f16.gguf")
        let text = scratch.path("text.gguf"), mmproj = scratch.path("mmproj.gguf")
        _ = try GGUFExport.write(checkpoint, tokenizer: try Tokenizer(ggufPath: source + "/text-f16.gguf"), text: text, mmproj: mmproj, type: .f16)
        try Self.compare(text, source + "/text-f16.gguf")
        try Self.compare(mmproj, source + "/mmproj-f16.gguf")
    }
}
