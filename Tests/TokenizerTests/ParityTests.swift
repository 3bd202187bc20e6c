import Foundation
import Testing
@testable import Tokenizer

/// Exact parity with Hugging Face `tokenizers` on the fixture files (see
/// Tests/Fixtures/tokenizer/make_tokenizer_fixtures.py for what each file exercises).
@Suite struct ParityTests {
    @Test(arguments: Fixtures.names)
    func encodeMatchesTokenizers(name: String) throws {
        let parity = try Fixtures.parity()
        let entry = try #require(parity.tokenizers[name])
        let tokenizer = try Tokenizer(tokenizerJSON: Fixtures.tokenizerJSON(name))
        #expect(parity.strings.count >= 300)
        for (text, expected) in zip(parity.strings, entry.cases) {
            #expect(tokenizer.encode(text, addSpecialTokens: false) == expected.ids, "\(name) \(Fixtures.show(text))")
            #expect(tokenizer.encode(text) == entry.special_prefix + expected.ids + entry.special_suffix, "\(name) \(Fixtures.show(text))")
            #expect(tokenizer.tokens(for: text, addSpecialTokens: false) == expected.tokens, "\(name) \(Fixtures.show(text))")
        }
    }

    @Test(arguments: Fixtures.names)
    func decodeMatchesTokenizers(name: String) throws {
        let parity = try Fixtures.parity()
        let entry = try #require(parity.tokenizers[name])
        let tokenizer = try Tokenizer(tokenizerJSON: Fixtures.tokenizerJSON(name))
        expectDecodeParity(tokenizer, name: name, strings: parity.strings, entry: entry)
    }

    @Test(arguments: Fixtures.names)
    func streamingMatchesDecodeStream(name: String) throws {
        let entry = try #require(try Fixtures.parity().tokenizers[name])
        let tokenizer = try Tokenizer(tokenizerJSON: Fixtures.tokenizerJSON(name))
        for expected in entry.stream_cases {
            for (skip, chunks) in [(true, expected.skip), (false, expected.keep)] {
                var stream = tokenizer.streamingDecoder(skipSpecialTokens: skip)
                let produced = expected.ids.map { stream.next($0) }
                #expect(produced == chunks, "\(name) skip=\(skip) \(expected.ids)")
            }
        }
    }

    @Test(arguments: Fixtures.names)
    func vocabularyMatchesTokenizers(name: String) throws {
        let entry = try #require(try Fixtures.parity().tokenizers[name])
        let tokenizer = try Tokenizer(tokenizerJSON: Fixtures.tokenizerJSON(name))
        #expect(tokenizer.vocabularySize == entry.vocab_size)
        for (token, id) in entry.id_of { #expect(tokenizer.id(of: token) == id, "\(name) id(of: \(token))") }
        for (id, token) in entry.token_of { #expect(tokenizer.token(of: try #require(Int(id))) == token, "\(name) token(of: \(id))") }
    }

    /// A base file with some added tokens switched to `"normalized": true` (the same edit the
    /// generator made): matched and decoded in their normalized form, as tokenizers does.
    @Test func variantsMatchTokenizers() throws {
        for (name, variant) in try Fixtures.parity().variants {
            var text = try String(contentsOfFile: Fixtures.tokenizerJSON(variant.base), encoding: .utf8)
            for content in variant.normalized {
                let block = try #require(text.range(of: "\"content\": \"\(content)\","))
                let flag = try #require(text.range(of: "\"normalized\": false", range: block.upperBound..<text.endIndex))
                text.replaceSubrange(flag, with: "\"normalized\": true")
            }
            let folder = try Fixtures.temporaryFolder()
            defer { try? FileManager.default.removeItem(atPath: folder) }
            try text.write(toFile: "\(folder)/tokenizer.json", atomically: true, encoding: .utf8)
            let tokenizer = try Tokenizer(tokenizerJSON: "\(folder)/tokenizer.json")
            for expected in variant.cases {
                let label = "\(name) \(Fixtures.show(expected.text))"
                #expect(tokenizer.encode(expected.text) == expected.ids, "\(label)")
                #expect(tokenizer.tokens(for: expected.text) == expected.tokens, "\(label)")
                #expect(tokenizer.decode(expected.ids) == expected.decoded, "\(label)")
                #expect(tokenizer.decode(expected.ids, skipSpecialTokens: false) == expected.decoded_all, "\(label)")
            }
        }
    }

    /// Folders with tokenizer_config.json: ids as transformers' AutoTokenizer gives them (its
    /// add_bos_token/add_eos_token are ignored when tokenizer.json exists; named special tokens
    /// the file lacks are added), and the BOS/EOS/pad ids it reports.
    @Test(arguments: ["legacy", "metaspace"])
    func folderMatchesTransformers(name: String) throws {
        let parity = try Fixtures.parity()
        let expected = try #require(parity.tokenizers[name]?.transformers)
        let tokenizer = try Tokenizer(folder: Fixtures.folder(name))
        #expect(tokenizer.bosID == expected.bos_id)
        #expect(tokenizer.eosID == expected.eos_id)
        #expect(tokenizer.padID == expected.pad_id)
        #expect(tokenizer.vocabularySize == expected.vocab_size)
        for (text, ids) in zip(parity.strings, expected.ids) {
            #expect(tokenizer.encode(text) == ids, "\(name) \(Fixtures.show(text))")
        }
    }
}
