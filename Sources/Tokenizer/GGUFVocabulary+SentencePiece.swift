import WeightIO

/// A GGUF file's vocabulary as the tokenizer files of a model folder: a SentencePiece
/// `tokenizer.model` (BPE with byte fallback, identity normalization, `▁` prefix) and the settings
/// `tokenizer_config.json` carries. `Tokenizer(folder:)`, and transformers' `LlamaTokenizer(Fast)`,
/// build from them the tokenizer `Tokenizer(gguf:)` builds from the file.
public struct SentencePieceFiles: Sendable {
    /// The `tokenizer.model` bytes.
    public let model: [UInt8]
    /// BOS, EOS, unknown and padding tokens, `add_bos_token` / `add_eos_token` and the chat
    /// template, as the file's metadata gives them.
    public let configuration: TokenizerConfiguration
    /// The tokens `tokenizer_config.json` declares in `added_tokens_decoder`, by id.
    public let addedTokens: [(id: Int, content: String, special: Bool)]
    /// Every token's id, by its text.
    public let ids: [String: Int]
}

extension Tokenizer {
    /// `gguf`'s vocabulary as `SentencePieceFiles`. A `tokenizer.model` orders its merges by id,
    /// so a file whose `tokenizer.ggml.scores` fall anywhere as the ids grow (merges ordered
    /// otherwise), or that lists `tokenizer.ggml.merges`, is refused naming the key.
    public static func sentencePieceFiles(gguf: GGUFFile) throws(TokenizerError) -> SentencePieceFiles {
        let vocabulary = try GGUFVocabulary(gguf)
        guard case let .generated(scores) = vocabulary.merges, let scores else {
            throw .unsupported(path: gguf.path, field: "tokenizer.ggml.merges",
                               value: "a listed merge table (a tokenizer.model has none; only score-ordered vocabularies are written)")
        }
        if let index = scores.indices.dropFirst().first(where: { scores[$0] > scores[$0 - 1] }) {
            throw .unsupported(path: gguf.path, field: "tokenizer.ggml.scores[\(index)]",
                               value: "\(scores[index]) after \(scores[index - 1]) (a tokenizer.model orders its merges by id: scores must not rise)")
        }
        let configuration = vocabulary.configuration
        let ids = Dictionary(vocabulary.tokens.enumerated().map { (String(decoding: $0.element, as: UTF8.self), $0.offset) },
                             uniquingKeysWith: { first, _ in first })
        func id(_ token: TokenizerConfiguration.SpecialToken?) -> Int32 { token.flatMap { ids[$0.content] }.map(Int32.init) ?? -1 }
        var trainer = SentencePieceModel.TrainerSpec()
        trainer.modelType = SentencePieceModel.ModelType.bpe.rawValue
        trainer.byteFallback = true
        (trainer.unkID, trainer.bosID, trainer.eosID, trainer.padID) =
            (id(configuration.unkToken), id(configuration.bosToken), id(configuration.eosToken), id(configuration.padToken))
        var normalizer = SentencePieceModel.NormalizerSpec()
        normalizer.name = Array("identity".utf8)
        normalizer.removeExtraWhitespaces = false
        // SentencePiece marks its unknown piece UNKNOWN (llama.cpp's converters may write CONTROL).
        let pieces = vocabulary.tokens.indices.map { i in
            SentencePieceModel.Piece(text: vocabulary.tokens[i], score: scores[i], type: i == trainer.unkID ? .unknown : vocabulary.types[i])
        }
        return SentencePieceFiles(
            model: SentencePieceModel.serialized(pieces: pieces, trainerSpec: trainer, normalizerSpec: normalizer),
            configuration: configuration,
            addedTokens: configuration.addedTokensDecoder.map { ($0.id, $0.content, $0.special) }, ids: ids)
    }
}
