import Tokenizer

/// The tokenizer readers under fuzzing, each followed by an encode and decode with what it built.
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
}
