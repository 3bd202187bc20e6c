import Foundation
import Testing
@testable import Tokenizer

/// A Qwen2-style byte-level BPE tokenizer.json (NFC, Qwen2's split pattern, ByteLevel, added
/// special tokens): exact parity with Hugging Face `tokenizers` (see
/// Tests/Fixtures/tokenizer/make_bytelevel_fixtures.py), and the behaviour around it.
@Suite struct ByteLevelTests {
    private func tokenizer() throws -> Tokenizer { try Tokenizer(tokenizerJSON: Fixtures.tokenizerJSON("bytelevel")) }

    private func fixture() throws -> (strings: [String], entry: Parity.Entry) {
        let parity = try Fixtures.byteLevelParity()
        return (parity.strings, try #require(parity.tokenizers["bytelevel"]))
    }

    @Test func encodeMatchesTokenizers() throws {
        let (strings, entry) = try fixture()
        let tokenizer = try tokenizer()
        #expect(strings.count >= 700)
        for (text, expected) in zip(strings, entry.cases) {
            #expect(tokenizer.encode(text, addSpecialTokens: false) == expected.ids, "\(Fixtures.show(text))")
            #expect(tokenizer.encode(text) == expected.ids, "\(Fixtures.show(text))")
            #expect(tokenizer.tokens(for: text) == expected.tokens, "\(Fixtures.show(text))")
        }
    }

    @Test func decodeMatchesTokenizers() throws {
        let (strings, entry) = try fixture()
        expectDecodeParity(try tokenizer(), name: "bytelevel", strings: strings, entry: entry)
    }

    /// Decoding gives back the text as normalized (NFC), byte for byte, added tokens included.
    @Test func decodeRoundTrips() throws {
        let (strings, entry) = try fixture()
        let tokenizer = try tokenizer()
        for (text, expected) in zip(strings, entry.cases) where Array(text.utf8) == NFC.normalize(Array(text.utf8)) {
            #expect(Array(tokenizer.decode(expected.ids, skipSpecialTokens: false).utf8) == Array(text.utf8), "\(Fixtures.show(text))")
        }
    }

    @Test func streamingMatchesDecodeStream() throws {
        let (_, entry) = try fixture()
        let tokenizer = try tokenizer()
        for expected in entry.stream_cases {
            for (skip, chunks) in [(true, expected.skip), (false, expected.keep)] {
                var stream = tokenizer.streamingDecoder(skipSpecialTokens: skip)
                #expect(expected.ids.map { stream.next($0) } == chunks, "skip=\(skip) \(expected.ids)")
            }
        }
    }

    @Test func vocabularyMatchesTokenizers() throws {
        let (_, entry) = try fixture()
        let tokenizer = try tokenizer()
        #expect(tokenizer.vocabularySize == entry.vocab_size)
        for (token, id) in entry.id_of { #expect(tokenizer.id(of: token) == id, "id(of: \(token))") }
        for (id, token) in entry.token_of { #expect(tokenizer.token(of: try #require(Int(id))) == token, "token(of: \(id))") }
    }

    /// One id per byte of a character: nothing comes out until the character is complete, and
    /// never a broken one; a ZWJ sequence comes out character by character.
    @Test func streamingNeverSplitsACharacter() throws {
        let tokenizer = try tokenizer()
        func byteIDs(_ text: String) throws -> [Int] {
            try text.utf8.map { byte in
                let character = Unicode.Scalar(ByteLevel.characters[Int(byte)])!
                return try #require(tokenizer.id(of: String(Character(character))))
            }
        }
        for text in ["😀", "日本語", "👍🏽", "👨‍👩‍👧‍👦", "e\u{301}"] {
            var stream = tokenizer.streamingDecoder()
            let chunks = try byteIDs(text).map { stream.next($0) }
            #expect(chunks.compactMap { $0 } == text.unicodeScalars.map { String($0) }, "\(text)")
            #expect(chunks.count { $0 != nil } == text.unicodeScalars.count, "\(text)")
        }
        let chat = "<|im_start|>user\n<image>\n今天天气很好 😀 👨‍👩‍👧‍👦!<|im_end|>"
        let ids = tokenizer.encode(chat)
        for skip in [true, false] {
            var stream = tokenizer.streamingDecoder(skipSpecialTokens: skip)
            #expect(ids.compactMap { stream.next($0) }.joined() == tokenizer.decode(ids, skipSpecialTokens: skip))
        }
    }

    @Test func addedTokensAreSpecialAndMatchedFirst() throws {
        let tokenizer = try tokenizer()
        let names = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<image>", "<video>"]
        let ids = try names.map { try #require(tokenizer.id(of: $0)) }
        #expect(ids == Array(1098...1102))
        #expect(tokenizer.addedTokens.map(\.content) == names)
        #expect(ids.allSatisfy(tokenizer.isSpecial))
        #expect(tokenizer.bosID == nil && tokenizer.eosID == nil)
        // Matched in the raw text before the split pattern, which would cut "<|" from "im_end".
        let text = "<|im_start|>user\n<image>\nHi'S<|im_end|>"
        let encoded = tokenizer.encode(text)
        #expect(encoded.first == ids[1] && encoded.last == ids[2] && encoded.contains(ids[3]))
        #expect(tokenizer.tokens(for: text).first == "<|im_start|>")
        #expect(tokenizer.decode(encoded) == "user\n\nHi'S")
        #expect(tokenizer.decode(encoded, skipSpecialTokens: false) == text)
        #expect(!tokenizer.encode("<|im_start").contains(ids[1]))
    }

    /// The matches of the split pattern on long runs, where backtracking alternatives decide: each
    /// piece is what Oniguruma gives, and the split stays linear (a quadratic one takes minutes).
    @Test func splitPatternOnLongRuns() throws {
        func pieces(_ text: String) -> [Int] {
            let words = PreTokenizer.split(.qwen2).preTokenize(Words(buffer: Array(text.utf8), atStart: true))
            return words.ranges.map(\.count)
        }
        let n = 200_000
        #expect(pieces(String(repeating: " ", count: n) + "x") == [n - 1, 2])
        #expect(pieces(String(repeating: " ", count: n)) == [n])
        #expect(pieces(String(repeating: " \n", count: n) + "  x") == [2 * n, 1, 2])
        #expect(pieces(String(repeating: "\t", count: n) + "!") == [n - 1, 1, 1])
        #expect(pieces(String(repeating: "7", count: n)) == Array(repeating: 1, count: n))
        #expect(pieces(String(repeating: "'", count: n) + "s") == [n, 1])
        #expect(pieces(String(repeating: "'", count: n) + "'s") == [n + 1, 1])
        #expect(pieces(String(repeating: "ab", count: n)) == [2 * n])
        #expect(pieces(String(repeating: "'LL", count: n)) == Array(repeating: 3, count: n))
        let tokenizer = try tokenizer()
        let text = String(repeating: "The cat's 日本語 😀, 12 \t\n  ", count: 20_000)
        #expect(tokenizer.decode(tokenizer.encode(text)) == text)
    }
}
