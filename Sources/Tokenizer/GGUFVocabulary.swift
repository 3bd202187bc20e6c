import WeightIO

/// The tokenizer a GGUF file describes in its `tokenizer.ggml.*` metadata, read and checked, and
/// converted exactly as transformers 5 converts it (`AutoTokenizer.from_pretrained(dir,
/// gguf_file=…)`: integrations/gguf `get_gguf_tokenizer`, `sentencepiece_tokenizer`,
/// `get_merges`, `add_gguf_special_tokens`).
///
/// Implemented: `tokenizer.ggml.model` "llama" (SentencePiece-style BPE with byte fallback). The
/// vocabulary is `tokens` with ids their positions; the merges are `merges` when the file lists
/// them, else generated from the vocabulary ordered by `scores` (`generate_merges(vocab, scores)`,
/// see `SentencePieceConversion.merges`); everything else is `SentencePieceConversion` with a
/// configuration made from the metadata:
/// - named tokens: the `tokens` at `bos_token_id`, `eos_token_id`, `unknown_token_id`,
///   `padding_token_id` (none where the key is absent), plus `<unk>`, `<s>`, `</s>`, which
///   transformers' `LlamaTokenizer` always registers as special;
/// - added tokens: those, the CONTROL (3) entries of `token_type` as special tokens and the
///   USER_DEFINED (4) ones as plain added tokens;
/// - `add_bos_token` (absent: true, as llama.cpp and transformers assume) and `add_eos_token`
///   (absent: false) shape the template; Metaspace prepends `▁` only at the start of the input
///   (transformers' non-legacy default); `tokenizer.chat_template` becomes the configuration's.
///
/// Refused by name, each as one `TokenizerError` naming the file and the key: another tokenizer
/// model ("gpt2" byte-level vocabularies included), an architecture transformers converts
/// differently (Gemma, Phi-3), a `tokenizer.ggml.pre` other than "default" / "llama-spm",
/// `add_space_prefix` false (transformers ignores it, llama.cpp does not), missing or mistyped
/// arrays, lengths that disagree, unknown token types, repeated tokens, special ids past the
/// vocabulary, and a vocabulary without `<unk>`, `<s>` or `</s>` (transformers would append them).
struct GGUFVocabulary {
    let path: String
    let tokens: [[UInt8]]
    let types: [SentencePieceModel.PieceType]
    let merges: SentencePieceConversion.MergeSource
    let configuration: TokenizerConfiguration

    /// The one `tokenizer.ggml.model` implemented.
    static let implementedModel = "llama"
    /// Architectures whose "llama" vocabulary transformers builds with another recipe.
    static let otherRecipes: Set<String> = ["gemma", "gemma2", "gemma3", "phi3"]
    /// `tokenizer.ggml.pre` values that leave transformers' SentencePiece recipe as it is.
    static let plainPreTokenizers: Set<String> = ["default", "llama-spm"]
    /// The tokens transformers' `LlamaTokenizer` registers as special whatever the file says.
    static let llamaDefaults = ["<unk>", "<s>", "</s>"]

    init(_ file: GGUFFile) throws(TokenizerError) {
        let reader = GGUFMetadataReader(file: file)
        let path = file.path
        self.path = path
        let model = try reader.string("tokenizer.ggml.model", required: true)!
        guard model == Self.implementedModel else {
            let note = model == "gpt2" ? "byte-level BPE vocabularies from GGUF are not implemented" : "not a tokenizer transformers or this module builds"
            throw .unsupported(path: path, field: "tokenizer.ggml.model", value: "'\(model)' (\(note); implemented: \(Self.implementedModel))")
        }
        if let architecture = try reader.string("general.architecture"), Self.otherRecipes.contains(architecture) {
            throw .unsupported(path: path, field: "general.architecture",
                               value: "'\(architecture)' (transformers converts its vocabulary with its own recipe; only the plain LLaMA one is implemented)")
        }
        if let pre = try reader.string("tokenizer.ggml.pre"), !Self.plainPreTokenizers.contains(pre) {
            throw .unsupported(path: path, field: "tokenizer.ggml.pre", value: "'\(pre)' (implemented: default, llama-spm)")
        }
        if try reader.bool("tokenizer.ggml.add_space_prefix") == false {
            throw .unsupported(path: path, field: "tokenizer.ggml.add_space_prefix",
                               value: "false (transformers ignores it and prepends '▁' where llama.cpp does not)")
        }

        let tokens = try reader.strings("tokenizer.ggml.tokens")
        guard !tokens.isEmpty else {
            throw .invalidValue(path: path, field: "tokenizer.ggml.tokens", reason: "the vocabulary is empty")
        }
        guard tokens.count <= BPEModel.maximumID else {
            throw .invalidValue(path: path, field: "tokenizer.ggml.tokens", reason: "\(tokens.count) tokens, more than \(BPEModel.maximumID)")
        }
        var ids: [[UInt8]: Int] = [:]
        for (id, token) in tokens.enumerated() {
            if let first = ids.updateValue(id, forKey: token) {
                throw .invalidValue(path: path, field: "tokenizer.ggml.tokens[\(id)]",
                                    reason: "token '\(String(decoding: token, as: UTF8.self))' repeats entry \(first)")
            }
        }
        self.tokens = tokens

        if let listed = try reader.optionalStrings("tokenizer.ggml.merges") {
            var pairs: [(left: [UInt8], right: [UInt8])] = []
            pairs.reserveCapacity(listed.count)
            for (index, merge) in listed.enumerated() {
                let parts = merge.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw .invalidValue(path: path, field: "tokenizer.ggml.merges[\(index)]",
                                        reason: "'\(String(decoding: merge, as: UTF8.self))' is not two tokens separated by one space")
                }
                for part in parts where ids[Array(part)] == nil {
                    throw .invalidValue(path: path, field: "tokenizer.ggml.merges[\(index)]",
                                        reason: "'\(String(decoding: part, as: UTF8.self))' is not in tokenizer.ggml.tokens")
                }
                pairs.append((Array(parts[0]), Array(parts[1])))
            }
            merges = .listed(pairs)
        } else {
            let scores = try reader.floats("tokenizer.ggml.scores")
            guard scores.count == tokens.count else {
                throw .invalidValue(path: path, field: "tokenizer.ggml.scores",
                                    reason: "\(scores.count) scores for \(tokens.count) tokens in tokenizer.ggml.tokens")
            }
            if let index = scores.firstIndex(where: \.isNaN) {
                throw .invalidValue(path: path, field: "tokenizer.ggml.scores[\(index)]", reason: "NaN does not order merges")
            }
            merges = .generated(scores: scores)
        }

        if let numbers = try reader.optionalIntegers("tokenizer.ggml.token_type") {
            guard numbers.count == tokens.count else {
                throw .invalidValue(path: path, field: "tokenizer.ggml.token_type",
                                    reason: "\(numbers.count) token types for \(tokens.count) tokens in tokenizer.ggml.tokens")
            }
            var types: [SentencePieceModel.PieceType] = []
            types.reserveCapacity(numbers.count)
            for (index, number) in numbers.enumerated() {
                guard let type = Int32(exactly: number).flatMap(SentencePieceModel.PieceType.init(rawValue:)) else {
                    throw .invalidValue(path: path, field: "tokenizer.ggml.token_type[\(index)]",
                                        reason: "\(number) is not a token type (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte)")
                }
                types.append(type)
            }
            self.types = types
        } else {
            types = Array(repeating: .normal, count: tokens.count)
        }

        var settings = TokenizerConfiguration()
        func named(_ key: String) throws(TokenizerError) -> TokenizerConfiguration.SpecialToken? {
            guard let id = try reader.integer(key) else { return nil }
            guard id >= 0 && id < tokens.count else {
                throw .invalidValue(path: path, field: key, reason: "id \(id) is past the vocabulary of \(tokens.count) tokens")
            }
            return TokenizerConfiguration.SpecialToken(content: String(decoding: tokens[id], as: UTF8.self))
        }
        settings.bosToken = try named("tokenizer.ggml.bos_token_id")
        settings.eosToken = try named("tokenizer.ggml.eos_token_id")
        settings.unkToken = try named("tokenizer.ggml.unknown_token_id")
        settings.padToken = try named("tokenizer.ggml.padding_token_id")
        // transformers passes each of the four, None where the file has no id: no defaults.
        settings.declaredTokenFields = ["bos_token", "eos_token", "unk_token", "pad_token"]
        settings.addBOSToken = try reader.bool("tokenizer.ggml.add_bos_token") ?? true
        settings.addEOSToken = try reader.bool("tokenizer.ggml.add_eos_token") ?? false
        settings.chatTemplate = try reader.string("tokenizer.chat_template")
        for content in Self.llamaDefaults {
            guard let id = ids[Array(content.utf8)] else {
                throw .unsupported(path: path, field: "tokenizer.ggml.tokens",
                                   value: "no '\(content)' token (transformers' LlamaTokenizer would append one past the vocabulary)")
            }
            settings.addedTokensDecoder.append(TokenizerConfiguration.DeclaredToken(
                id: id, content: content, file: path, field: "tokenizer.ggml.tokens[\(id)]", special: true, normalized: false))
        }
        settings.addedTokensDecoder.sort { $0.id < $1.id }
        configuration = settings
    }

    /// The converted tokenizer parts.
    func parts() throws(TokenizerError) -> TokenizerParts {
        try SentencePieceConversion.parts(pieces: Array(zip(tokens, types)).map { (text: $0.0, type: $0.1) },
                                          merges: merges, path: path, configuration: configuration)
    }
}

extension Tokenizer {
    /// The tokenizer `gguf`'s metadata describes, as transformers builds it from that file (see
    /// `GGUFVocabulary`): a `tokenizer.ggml.model` "llama" vocabulary; anything else, or metadata
    /// that does not hold together, is a `TokenizerError` naming the file and the key.
    ///
    /// ```swift
    /// let tokenizer = try Tokenizer(gguf: GGUFFile(path: "llava-v1.5-7b-Q4_0.gguf"))
    /// let ids = tokenizer.encode("USER: <image>\nWhat is this? ASSISTANT:")   // starts with BOS
    /// ```
    public convenience init(gguf: GGUFFile) throws(TokenizerError) {
        let vocabulary = try GGUFVocabulary(gguf)
        try self.init(parts: try vocabulary.parts(), configuration: vocabulary.configuration)
    }

    /// Opens the GGUF file at `path` and builds its tokenizer (`init(gguf:)`); a file that is not
    /// a readable GGUF is `.cannotRead` with the reader's reason.
    public convenience init(ggufPath path: String) throws(TokenizerError) {
        let file: GGUFFile
        do {
            file = try GGUFFile(path: path)
        } catch let error as GGUFError {
            throw .cannotRead(path: path, reason: error.problem)
        } catch {
            throw .cannotRead(path: path, reason: "\(error)")
        }
        try self.init(gguf: file)
    }
}
