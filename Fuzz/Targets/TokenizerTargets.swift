import Foundation
import Tokenizer

/// The tokenizer readers under fuzzing, each followed by an encode and decode with what it built,
/// and the committed tokenizers encoding and decoding fuzzed text.
enum TokenizerTargets {
    /// Spaces, accents, an emoji, digits, control characters and special-token text.
    private static let text = "Hello  wörld <s></s> 123 🙂\n\tend"

    static func sentencePiece(_ bytes: UnsafeRawBufferPointer) {
        FuzzInput.withFile(bytes, suffix: ".model") { path in
            let tokenizer = try Tokenizer(sentencePieceModel: path)
            _ = tokenizer.decode(tokenizer.encode(text))
        }
    }

    static func tokenizerJSON(_ bytes: UnsafeRawBufferPointer) {
        FuzzInput.withFile(bytes, suffix: ".json") { path in
            let tokenizer = try Tokenizer(tokenizerJSON: path)
            _ = tokenizer.decode(tokenizer.encode(text))
        }
    }

    /// The fixtures' tokenizers: LLaMA's byte fallback with the legacy normalizer, Metaspace, and
    /// Qwen2's byte level, loaded by `prepare` and released at exit (LeakSanitizer's exit check
    /// cannot follow the tagged pointers of Swift's indirect enum cases inside them, and would
    /// report what a global still holds as leaked).
    nonisolated(unsafe) private static var committed: [Tokenizer] = []

    private static func load() -> [Tokenizer] {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Tests/Fixtures/tokenizer")
        return ["legacy", "metaspace", "bytelevel"].map { name in
            let path = fixtures.appendingPathComponent("\(name)/tokenizer.json").path
            do { return try Tokenizer(tokenizerJSON: path) } catch { fatalError("the fuzz target needs \(path): \(error)") }
        }
    }

    /// Loads the committed tokenizers (once), to be released at exit.
    static func prepare() {
        guard committed.isEmpty else { return }
        committed = load()
        atexit { TokenizerTargets.committed = [] }
    }

    /// The input as text (invalid UTF-8 replaced, as a request body's would be), encoded by each
    /// committed tokenizer (every id must name a token) and decoded, at once and one id at a time.
    static func text(_ bytes: UnsafeRawBufferPointer) {
        prepare()
        let text = String(decoding: bytes, as: UTF8.self)
        for tokenizer in committed {
            let ids = tokenizer.encode(text)
            precondition(ids.allSatisfy { tokenizer.token(of: $0) != nil }, "an encoded id names no token")
            _ = tokenizer.decode(ids)
            var stream = tokenizer.streamingDecoder()
            for id in ids { _ = stream.next(id) }
            _ = stream.finish()
        }
    }
}
