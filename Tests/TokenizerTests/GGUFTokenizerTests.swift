import Foundation
import Testing
import WeightIO
@testable import Tokenizer

/// What Tests/Fixtures/gguf/make_llava_gguf_fixtures.py recorded from transformers loading each
/// text GGUF itself (`AutoTokenizer.from_pretrained(dir, gguf_file=…)`).
struct GGUFExpected: Decodable {
    struct Case: Decodable {
        let text: String
        let ids: [Int]
        let ids_plain: [Int]
        let tokens: [String]
        let decoded: String
        let decoded_special: String
    }
    struct TokenizerResult: Decodable {
        let bos_id: Int?
        let eos_id: Int?
        let unk_id: Int?
        let pad_id: Int?
        let vocabulary_size: Int
        let cases: [Case]
    }
    struct FileResult: Decodable {
        let tokenizer: TokenizerResult
    }
    let texts: [String]
    let files: [String: FileResult]

    /// Tests/Fixtures/gguf, found from this file's path.
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/gguf").path

    /// The fixtures' text GGUF files, as "folder/file".
    static let textFiles = ["llava", "llava-next"].flatMap { folder in
        ["text-f16.gguf", "text-q8_0.gguf", "text-q4_0.gguf"].map { "\(folder)/\($0)" }
    }

    static func load(folder: String) throws -> GGUFExpected {
        try JSONDecoder().decode(GGUFExpected.self, from: Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(folder)/expected.json")))
    }
}

/// Tokenizers built from GGUF metadata: exact parity with transformers on every committed text
/// GGUF of the tiny LLaVA fixtures.
@Suite struct GGUFTokenizerTests {
    private func fixture(_ file: String) throws -> (tokenizer: Tokenizer, expected: GGUFExpected.TokenizerResult, texts: [String]) {
        let folder = String(file.split(separator: "/")[0]), name = String(file.split(separator: "/")[1])
        let expected = try GGUFExpected.load(folder: folder)
        let result = try #require(expected.files[name]).tokenizer
        #expect(result.cases.count == expected.texts.count)
        return (try Tokenizer(ggufPath: "\(GGUFExpected.directory)/\(file)"), result, expected.texts)
    }

    @Test(arguments: GGUFExpected.textFiles)
    func encodeMatchesTransformers(file: String) throws {
        let (tokenizer, expected, texts) = try fixture(file)
        for (text, want) in zip(texts, expected.cases) {
            #expect(want.text == text)
            #expect(tokenizer.encode(text) == want.ids, "\(file) \(Fixtures.show(text))")
            #expect(tokenizer.encode(text, addSpecialTokens: false) == want.ids_plain, "\(file) \(Fixtures.show(text))")
            #expect(tokenizer.tokens(for: text) == want.tokens, "\(file) \(Fixtures.show(text))")
        }
    }

    @Test(arguments: GGUFExpected.textFiles)
    func decodeMatchesTransformers(file: String) throws {
        let (tokenizer, expected, _) = try fixture(file)
        for want in expected.cases {
            #expect(tokenizer.decode(want.ids) == want.decoded, "\(file) \(Fixtures.show(want.text))")
            #expect(tokenizer.decode(want.ids, skipSpecialTokens: false) == want.decoded_special, "\(file) \(Fixtures.show(want.text))")
        }
    }

    @Test(arguments: GGUFExpected.textFiles)
    func specialIDsMatchTransformers(file: String) throws {
        let (tokenizer, expected, _) = try fixture(file)
        #expect(tokenizer.bosID == expected.bos_id)
        #expect(tokenizer.eosID == expected.eos_id)
        #expect(tokenizer.unkID == expected.unk_id)
        #expect(tokenizer.padID == expected.pad_id)
        #expect(tokenizer.vocabularySize == expected.vocabulary_size)
        #expect(tokenizer.id(of: "<image>") == 457)
        #expect(tokenizer.isSpecial(457))
    }

    /// The scored merge order is what makes these ids differ from the tokenizer.json the GGUF was
    /// converted from (llama.cpp writes every score as -1000): the test strings must show it.
    @Test func scoredMergesDifferFromTheSourceTokenizer() throws {
        let expected = try GGUFExpected.load(folder: "llava")
        let source = try Tokenizer(folder: "\(GGUFExpected.directory)/../llava/tiny-llava-hf")
        let cases = try #require(expected.files["text-f16.gguf"]).tokenizer.cases
        let differing = cases.filter { source.encode($0.text) != $0.ids }
        #expect(differing.count >= 3)
    }
}
