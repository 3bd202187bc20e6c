import Foundation
import Testing
@testable import Tokenizer

/// Folders with only a SentencePiece `tokenizer.model`: exact parity with transformers'
/// `LlamaTokenizerFast.from_pretrained(folder)`, which converts the model (see
/// Tests/Fixtures/tokenizer/make_sentencepiece_fixtures.py).
@Suite struct SentencePieceTests {
    private func fixture(_ name: String) throws -> (parity: Parity, entry: Parity.Entry, strings: [String]) {
        let parity = try Fixtures.sentencePieceParity()
        let entry = try #require(parity.tokenizers[name])
        let strings = entry.strings ?? parity.strings
        #expect(strings.count == entry.cases.count)
        return (parity, entry, strings)
    }

    @Test func usesTheSameStringsAsTheTokenizerJSONFixtures() throws {
        #expect(try Fixtures.sentencePieceParity().strings == Fixtures.parity().strings)
        #expect(try Fixtures.sentencePieceParity().strings.count >= 300)
    }

    @Test(arguments: Fixtures.sentencePieceNames)
    func encodeMatchesTransformers(name: String) throws {
        let (_, entry, strings) = try fixture(name)
        let tokenizer = try Tokenizer(folder: Fixtures.folder(name))
        if entry.strings == nil { #expect(strings.count >= 300) }
        for (text, expected) in zip(strings, entry.cases) {
            #expect(tokenizer.encode(text, addSpecialTokens: false) == expected.ids, "\(name) \(Fixtures.show(text))")
            #expect(tokenizer.encode(text) == entry.special_prefix + expected.ids + entry.special_suffix, "\(name) \(Fixtures.show(text))")
            if let tokens = expected.tokens {
                #expect(tokenizer.tokens(for: text, addSpecialTokens: false) == tokens, "\(name) \(Fixtures.show(text))")
            }
        }
    }

    @Test(arguments: Fixtures.sentencePieceNames)
    func decodeMatchesTransformers(name: String) throws {
        let (_, entry, strings) = try fixture(name)
        let tokenizer = try Tokenizer(folder: Fixtures.folder(name))
        expectDecodeParity(tokenizer, name: name, strings: strings, entry: entry)
    }

    @Test(arguments: Fixtures.sentencePieceNames)
    func streamingMatchesDecodeStream(name: String) throws {
        let (_, entry, _) = try fixture(name)
        let tokenizer = try Tokenizer(folder: Fixtures.folder(name))
        for expected in entry.stream_cases {
            for (skip, chunks) in [(true, expected.skip), (false, expected.keep)] {
                var stream = tokenizer.streamingDecoder(skipSpecialTokens: skip)
                #expect(expected.ids.map { stream.next($0) } == chunks, "\(name) skip=\(skip) \(expected.ids)")
            }
        }
    }

    @Test(arguments: Fixtures.sentencePieceNames)
    func vocabularyAndSpecialIDsMatchTransformers(name: String) throws {
        let (_, entry, _) = try fixture(name)
        let expected = try #require(entry.transformers)
        let tokenizer = try Tokenizer(folder: Fixtures.folder(name))
        #expect(tokenizer.vocabularySize == entry.vocab_size)
        #expect(tokenizer.vocabularySize == expected.vocab_size)
        #expect(tokenizer.bosID == expected.bos_id)
        #expect(tokenizer.eosID == expected.eos_id)
        #expect(tokenizer.padID == expected.pad_id)
        #expect(tokenizer.unkID == 0)
        for (token, id) in entry.id_of { #expect(tokenizer.id(of: token) == id, "\(name) id(of: \(token))") }
        for (id, token) in entry.token_of { #expect(tokenizer.token(of: try #require(Int(id))) == token, "\(name) token(of: \(id))") }
    }

    /// The conversion builds the very model transformers' converted tokenizer saves as
    /// tokenizer.json: same vocabulary, same merges with the same ranks, same added tokens,
    /// pre-tokenizer, decoder and template.
    @Test func conversionEqualsTheTokenizerJSONTransformersSaves() throws {
        let converted = try Tokenizer(folder: Fixtures.folder("sentencepiece"))
        let path = "\(Fixtures.folder("sentencepiece"))/converted-tokenizer.json"
        let saved = try Tokenizer(tokenizerJSON: path)
        #expect(converted.model.vocab == saved.model.vocab)
        #expect(saved.model.vocab.values.allSatisfy { converted.model.token(of: Int($0)) == saved.model.token(of: Int($0)) })
        let merges = try TokenizerFile(path: path).merges()
        #expect(converted.model.merges.count == merges.count)
        #expect(saved.model.merges.count == merges.count)
        for (rank, merge) in merges.enumerated() {
            let key = BPEModel.pairKey(try #require(saved.model.vocab[merge.left[...]]), try #require(saved.model.vocab[merge.right[...]]))
            #expect(converted.model.merges[key] == saved.model.merges[key], "merge \(rank)")
            #expect(converted.model.merges[key].map { $0 >> 32 } == UInt64(rank), "merge \(rank)")
        }
        #expect(converted.model.byteFallback == saved.model.byteFallback)
        #expect(converted.model.fuseUnk == saved.model.fuseUnk)
        #expect(converted.model.ignoreMerges == saved.model.ignoreMerges)
        #expect(converted.model.unkID == saved.model.unkID)
        #expect(converted.addedTokens.sorted { $0.id < $1.id } == saved.addedTokens.sorted { $0.id < $1.id })
        #expect(converted.normalizer == nil && saved.normalizer == nil)
        #expect(String(describing: converted.preTokenizer) == String(describing: saved.preTokenizer))
        #expect(String(describing: converted.decoder) == String(describing: saved.decoder))
        #expect(String(describing: converted.postProcessor?.templates) == String(describing: saved.postProcessor?.templates))
    }

    /// transformers' `generate_merges`: ordered by the merged piece's id, then by the length of the
    /// left part in characters; splits only between characters.
    @Test func mergesAreOrderedAsGenerateMergesOrdersThem() {
        let pieces = ["a", "b", "é", "ab", "▁", "▁a", "aé", "▁ab", "éé", "▁aé"].map { Array($0.utf8) }
        var vocabulary: [ArraySlice<UInt8>: Int32] = [:]
        for (id, piece) in pieces.enumerated() { vocabulary[piece[...]] = Int32(id) }
        let merges = SentencePieceConversion.merges(pieces, vocabulary: vocabulary).map {
            "\(String(decoding: $0.left, as: UTF8.self)) \(String(decoding: $0.right, as: UTF8.self))"
        }
        #expect(merges == ["a b", "▁ a", "a é", "▁ ab", "▁a b", "é é", "▁ aé", "▁a é"])
    }

    /// A folder's tokenizer.json wins over its tokenizer.model, as in transformers.
    @Test func tokenizerJSONTakesPrecedence() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.copyItem(atPath: "\(Fixtures.folder("sentencepiece"))/tokenizer.model", toPath: "\(folder)/tokenizer.model")
        try FileManager.default.copyItem(atPath: Fixtures.tokenizerJSON("legacy"), toPath: "\(folder)/tokenizer.json")
        let tokenizer = try Tokenizer(folder: folder)
        let legacy = try Tokenizer(tokenizerJSON: Fixtures.tokenizerJSON("legacy"))
        #expect(tokenizer.vocabularySize == legacy.vocabularySize)
        #expect(tokenizer.encode("Hello world") == legacy.encode("Hello world"))
    }

    /// A bare tokenizer.model gets transformers' defaults: `<s>`/`</s>`/`<unk>` named, no BOS added,
    /// the non-legacy Metaspace.
    @Test func bareModelUsesTransformersDefaults() throws {
        let bare = try Tokenizer(sentencePieceModel: "\(Fixtures.folder("sentencepiece"))/tokenizer.model")
        let folder = try Tokenizer(folder: Fixtures.folder("sentencepiece"))
        #expect(bare.bosID == 1 && bare.eosID == 2 && bare.unkID == 0 && bare.padID == nil)
        let text = "USER: <image>\nWhat is shown? ASSISTANT: a cat"
        #expect(bare.encode(text) == folder.encode(text, addSpecialTokens: false))
        let image = try #require(bare.id(of: "<image>"))
        #expect(bare.isSpecial(1) && bare.isSpecial(3) && !bare.isSpecial(image))
    }
}

/// tokenizer_config.json variations on the fixture model (sentencepiece-configs.json): null
/// special tokens, extra special tokens replacing the pieces, flags from the config, legacy with
/// add_prefix_space false, … — ids, decodes and special ids as transformers gives them.
@Suite struct SentencePieceConfigTests {
    struct ConfigCase: Decodable {
        struct TextCase: Decodable {
            let text: String
            let ids: [Int]
            let decoded: String
            let decoded_all: String
        }
        let config: String
        let bos_id: Int?
        let eos_id: Int?
        let unk_id: Int?
        let pad_id: Int?
        let vocab_size: Int
        let cases: [TextCase]
    }

    @Test func configVariationsMatchTransformers() throws {
        let cases = try JSONDecoder().decode([ConfigCase].self, from: Data(contentsOf: URL(fileURLWithPath: "\(Fixtures.directory)/sentencepiece-configs.json")))
        #expect(cases.count >= 8)
        for expected in cases {
            let folder = try Fixtures.temporaryFolder()
            defer { try? FileManager.default.removeItem(atPath: folder) }
            try FileManager.default.copyItem(atPath: "\(Fixtures.folder("sentencepiece"))/tokenizer.model", toPath: "\(folder)/tokenizer.model")
            try expected.config.write(toFile: "\(folder)/tokenizer_config.json", atomically: true, encoding: .utf8)
            let tokenizer = try Tokenizer(folder: folder)
            let label = expected.config
            #expect(tokenizer.bosID == expected.bos_id, "\(label)")
            #expect(tokenizer.eosID == expected.eos_id, "\(label)")
            #expect(tokenizer.unkID == expected.unk_id, "\(label)")
            #expect(tokenizer.padID == expected.pad_id, "\(label)")
            #expect(tokenizer.vocabularySize == expected.vocab_size, "\(label)")
            for textCase in expected.cases {
                #expect(tokenizer.encode(textCase.text) == textCase.ids, "\(label) \(Fixtures.show(textCase.text))")
                #expect(tokenizer.decode(textCase.ids) == textCase.decoded, "\(label) \(Fixtures.show(textCase.text))")
                #expect(tokenizer.decode(textCase.ids, skipSpecialTokens: false) == textCase.decoded_all, "\(label) \(Fixtures.show(textCase.text))")
            }
        }
    }
}
