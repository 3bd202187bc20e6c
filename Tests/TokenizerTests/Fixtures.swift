import Foundation
import Testing
@testable import Tokenizer

/// The parity data written by Tests/Fixtures/tokenizer/make_tokenizer_fixtures.py (Hugging Face
/// `tokenizers` 0.23 and `transformers` 5 on four small LLaMA-style tokenizer.json files), and in
/// the same layout by make_sentencepiece_fixtures.py (transformers' conversion of a SentencePiece
/// tokenizer.model) and make_bytelevel_fixtures.py (`tokenizers` on a Qwen2-style byte-level
/// tokenizer.json).
struct Parity: Decodable {
    struct Case: Decodable {
        let ids: [Int]
        /// Absent for some tokenizer.model folders (to keep the file small).
        let tokens: [String]?
        let decoded: String
        let decoded_all: String
    }
    struct DecodeCase: Decodable {
        let ids: [Int]
        let skip: String
        let keep: String
    }
    struct StreamCase: Decodable {
        let ids: [Int]
        let skip: [String?]
        let keep: [String?]
    }
    struct Transformers: Decodable {
        let bos_id: Int?
        let eos_id: Int?
        let pad_id: Int?
        let vocab_size: Int
        let ids: [[Int]]
    }
    struct Entry: Decodable {
        /// The strings of `cases` when they are a subset of the file's `strings`.
        let strings: [String]?
        let vocab_size: Int
        let cases: [Case]
        let special_prefix: [Int]
        let special_suffix: [Int]
        let decode_cases: [DecodeCase]
        let stream_cases: [StreamCase]
        let id_of: [String: Int?]
        let token_of: [String: String?]
        let transformers: Transformers?
    }
    struct VariantCase: Decodable {
        let text: String
        let ids: [Int]
        /// Absent for some tokenizer.model folders (to keep the file small).
        let tokens: [String]?
        let decoded: String
        let decoded_all: String
    }
    struct Variant: Decodable {
        let base: String
        let normalized: [String]
        let cases: [VariantCase]
    }
    let strings: [String]
    let tokenizers: [String: Entry]
    let variants: [String: Variant]
}

enum Fixtures {
    /// Tests/Fixtures/tokenizer, found from this file's path.
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tokenizer").path

    static let names = ["legacy", "metaspace", "metaspace-split", "metaspace-never"]

    static func folder(_ name: String) -> String { "\(directory)/\(name)" }
    static func tokenizerJSON(_ name: String) -> String { "\(directory)/\(name)/tokenizer.json" }

    /// Folders with only a SentencePiece tokenizer.model (and a tokenizer_config.json).
    static let sentencePieceNames = ["sentencepiece", "sentencepiece-legacy", "sentencepiece-eos"]

    private static let loaded = Result {
        try JSONDecoder().decode(Parity.self, from: Data(contentsOf: URL(fileURLWithPath: "\(directory)/parity.json")))
    }
    private static let loadedSentencePiece = Result {
        try JSONDecoder().decode(Parity.self, from: Data(contentsOf: URL(fileURLWithPath: "\(directory)/parity-sentencepiece.json")))
    }
    private static let loadedByteLevel = Result {
        try JSONDecoder().decode(Parity.self, from: Data(contentsOf: URL(fileURLWithPath: "\(directory)/parity-bytelevel.json")))
    }

    /// parity.json, read once.
    static func parity() throws -> Parity { try loaded.get() }

    /// parity-sentencepiece.json, read once.
    static func sentencePieceParity() throws -> Parity { try loadedSentencePiece.get() }

    /// parity-bytelevel.json (the "bytelevel" folder's tokenizer.json), read once.
    static func byteLevelParity() throws -> Parity { try loadedByteLevel.get() }

    /// A temporary folder, removed by the caller with `FileManager.default.removeItem`.
    static func temporaryFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A readable rendering of a test string for failure messages.
    static func show(_ s: String) -> String {
        s.count > 60 ? String(reflecting: String(s.prefix(60))) + "… (\(s.utf8.count) bytes)" : String(reflecting: s)
    }
}

/// Decoding parity for one fixture tokenizer: every parity string's ids (with and without skipping
/// special tokens) and the hand-picked id lists decode as the reference did.
func expectDecodeParity(_ tokenizer: Tokenizer, name: String, strings: [String], entry: Parity.Entry) {
    for (text, expected) in zip(strings, entry.cases) {
        let ids = entry.special_prefix + expected.ids + entry.special_suffix
        #expect(tokenizer.decode(ids) == expected.decoded, "\(name) \(Fixtures.show(text))")
        #expect(tokenizer.decode(ids, skipSpecialTokens: false) == expected.decoded_all, "\(name) \(Fixtures.show(text))")
    }
    // Hand-picked ids: invalid UTF-8 byte runs, incomplete characters, ids out of range.
    for expected in entry.decode_cases {
        #expect(tokenizer.decode(expected.ids) == expected.skip, "\(name) \(expected.ids)")
        #expect(tokenizer.decode(expected.ids, skipSpecialTokens: false) == expected.keep, "\(name) \(expected.ids)")
    }
}
