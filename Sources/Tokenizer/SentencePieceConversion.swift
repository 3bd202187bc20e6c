/// Turns a SentencePiece BPE `tokenizer.model` into the parts a tokenizer.json would give, exactly
/// as transformers 5 builds them when `LlamaTokenizer` (alias `LlamaTokenizerFast`, which
/// `AutoTokenizer` picks for LLaMA / Vicuna / LLaVA folders) loads a folder without
/// tokenizer.json:
///
/// - vocabulary: every piece (of any type) with its id, as `SentencePieceExtractor` reads them;
/// - merges: `generate_merges(vocab)`: for each piece in id order, each split into two strings
///   that are both pieces, shortest left part first (piece scores are not used; a GGUF
///   vocabulary's are, see `merges(_:vocabulary:scores:)`);
/// - model: BPE with `byte_fallback` and `fuse_unk`, and no `unk_token` (byte fallback covers
///   every character);
/// - normalizer: none; pre-tokenizer: `Metaspace("▁", split: false)` prepending `▁` to every
///   piece of text between added tokens when `legacy` is true, only at the start of the input
///   when it is false or absent, never when `add_prefix_space` is false;
/// - decoder: `Replace("▁", " ")`, `ByteFallback`, `Fuse`, `Strip(" ", 1, 0)` (no `Strip`
///   when `add_prefix_space` is false);
/// - post-processor: `[BOS] $A [EOS]` per `add_bos_token` / `add_eos_token` (both default to
///   false when the config does not give them);
/// - added tokens, in one batch: the config's `added_tokens_decoder`, the named special tokens
///   (`<s>`, `</s>`, `<unk>` unless the config names others or sets them to null), then the
///   CONTROL pieces (special) and USER_DEFINED pieces (not special), which a config
///   `extra_special_tokens` / `additional_special_tokens` list replaces.
///
/// transformers' `LlamaTokenizer` ignores the model's normalizer spec. Where SentencePiece would
/// then tokenize differently (a normalization rule, collapsing extra spaces, no dummy prefix, …)
/// or where the conversion would lose text (no byte fallback), the model is refused with a
/// `TokenizerError.unsupported` naming the field, rather than silently disagreeing with one of them.
enum SentencePieceConversion {
    /// The replacement character for spaces.
    static let metaspace: [UInt8] = Array("▁".utf8)

    /// The converted parts of `model`, shaped by the folder's `configuration`.
    static func parts(_ model: SentencePieceModel, configuration: TokenizerConfiguration) throws(TokenizerError) -> TokenizerParts {
        try checkConvertible(model, configuration: configuration)
        return try parts(pieces: model.pieces.map { ($0.text, $0.type) }, merges: .generated(scores: nil),
                         path: model.path, configuration: configuration)
    }

    /// Where the merges come from: listed (a GGUF's `tokenizer.ggml.merges`) or generated from the
    /// vocabulary, ordered by id (`scores` nil, a `tokenizer.model`) or by score (a GGUF's
    /// `tokenizer.ggml.scores`; see `merges(_:vocabulary:scores:)`).
    enum MergeSource {
        case listed([(left: [UInt8], right: [UInt8])])
        case generated(scores: [Float]?)
    }

    /// The conversion proper, for any SentencePiece-style vocabulary (a `tokenizer.model`'s
    /// pieces, or a GGUF's `tokenizer.ggml.tokens` and token types; see `GGUFVocabulary`): ids are
    /// positions in `pieces`, and `path` is named in errors.
    static func parts(pieces: [(text: [UInt8], type: SentencePieceModel.PieceType)], merges source: MergeSource,
                      path: String, configuration: TokenizerConfiguration) throws(TokenizerError) -> TokenizerParts {
        // Vocabulary and merges.
        var ids: [ArraySlice<UInt8>: Int32] = [:]
        ids.reserveCapacity(pieces.count)
        for (id, piece) in pieces.enumerated() { ids[piece.text[...]] = Int32(id) }
        let pairs: [(left: [UInt8], right: [UInt8])]
        switch source {
        case let .listed(listed): pairs = listed
        case let .generated(scores): pairs = merges(pieces.map(\.text), vocabulary: ids, scores: scores)
        }
        let bpe = try BPEModel(path: path, entries: pieces.enumerated().map { ($0.element.text, $0.offset) },
                               merges: pairs, unkToken: nil, byteFallback: true, fuseUnk: true, ignoreMerges: false)

        // Named special tokens: LlamaTokenizer's defaults for the ones neither file mentions.
        typealias SpecialToken = TokenizerConfiguration.SpecialToken
        func named(_ field: String, _ token: SpecialToken?, default content: String?) -> SpecialToken? {
            if let token { return token }
            return configuration.declaredTokenFields.contains(field) ? nil : content.map { SpecialToken(content: $0) }
        }
        let bos = named("bos_token", configuration.bosToken, default: "<s>")
        let eos = named("eos_token", configuration.eosToken, default: "</s>")
        let unk = named("unk_token", configuration.unkToken, default: "<unk>")
        let namedTokens = [bos, eos, unk, configuration.sepToken, configuration.padToken, configuration.clsToken,
                           configuration.maskToken].compactMap { $0 }
        let namedContents = Set(namedTokens.map { Array($0.content.utf8) })

        // Added tokens: declared ones, named ones, then the pieces (or the config's extras); the
        // first entry for a content wins, and a named content is always special.
        var entries: [AddedVocabulary.Entry] = []
        var contents = Set<[UInt8]>()
        func add(_ content: [UInt8], special: Bool, normalized: Bool, lstrip: Bool = false, rstrip: Bool = false, singleWord: Bool = false) {
            guard !content.isEmpty, contents.insert(content).inserted else { return }
            entries.append(AddedVocabulary.Entry(content: content, special: special || namedContents.contains(content),
                                                 normalized: normalized, lstrip: lstrip, rstrip: rstrip, singleWord: singleWord))
        }
        for token in configuration.addedTokensDecoder {
            add(Array(token.content.utf8), special: token.special, normalized: token.normalized,
                lstrip: token.lstrip, rstrip: token.rstrip, singleWord: token.singleWord)
        }
        for token in namedTokens {
            add(Array(token.content.utf8), special: true, normalized: token.normalized,
                lstrip: token.lstrip, rstrip: token.rstrip, singleWord: token.singleWord)
        }
        if configuration.configDeclaresExtraSpecialTokens {
            for token in configuration.extraSpecialTokens {
                add(Array(token.content.utf8), special: true, normalized: token.normalized,
                    lstrip: token.lstrip, rstrip: token.rstrip, singleWord: token.singleWord)
            }
        } else {
            for piece in pieces where piece.type == .control || piece.type == .userDefined {
                add(piece.text, special: piece.type == .control, normalized: false)
            }
        }
        let added = AddedVocabulary([entries], model: bpe, normalizer: nil)

        // The template transformers' update_post_processor builds.
        var template: [PostProcessor.Piece] = []
        func special(_ token: SpecialToken?) -> PostProcessor.Piece? {
            guard let token, let id = added.idsByContent[ArraySlice(token.content.utf8)] else { return nil }
            return .special(ids: [id], tokens: [Array(token.content.utf8)])
        }
        if configuration.addBOSToken ?? false, let piece = special(bos) { template.append(piece) }
        template.append(.sequence)
        if configuration.addEOSToken ?? false, let piece = special(eos) { template.append(piece) }

        let addPrefixSpace = configuration.addPrefixSpace ?? true
        let scheme: PrependScheme = addPrefixSpace ? (configuration.legacy ?? false ? .always : .first) : .never
        var decoders: [Decoder] = [.replace(pattern: metaspace, content: [UInt8(ascii: " ")]), .byteFallback, .fuse]
        if addPrefixSpace { decoders.append(.strip(content: UInt32(UInt8(ascii: " ")), start: 1, stop: 0)) }

        return TokenizerParts(model: bpe, normalizer: nil,
                              preTokenizer: .metaspace(replacement: metaspace, scheme: scheme, split: false),
                              addedVocabulary: added, postProcessor: PostProcessor(templates: [template]),
                              decoder: .sequence(decoders), source: path,
                              bosToken: bos?.content, eosToken: eos?.content,
                              padToken: configuration.padToken?.content, unkToken: unk?.content)
    }

    /// transformers' `generate_merges(vocab, vocab_scores)` for a vocabulary whose ids are the
    /// pieces' positions: every split of every piece into two pieces. Without `scores`, ordered by
    /// the merged piece's id, then by the length of the left part; with them (one per piece), by
    /// score, then by the lengths of the left and the right part, all descending, ties in piece
    /// order (Python's stable `sorted(reverse=True)`). Lengths are in characters, and pieces are
    /// split only between characters (Unicode scalars), as Python slices strings.
    static func merges(_ pieces: [[UInt8]], vocabulary: [ArraySlice<UInt8>: Int32], scores: [Float]? = nil) -> [(left: [UInt8], right: [UInt8])] {
        var splits: [(left: [UInt8], right: [UInt8], score: Float, leftLength: Int, rightLength: Int)] = []
        splits.reserveCapacity(pieces.count)
        for (index, piece) in pieces.enumerated() where !piece.isEmpty {
            let characters = characterCount(piece)
            var split = UTF8Scanning.scalarLength(lead: piece[0])
            var leftLength = 1
            while split < piece.count {
                if vocabulary[piece[..<split]] != nil && vocabulary[piece[split...]] != nil {
                    splits.append((Array(piece[..<split]), Array(piece[split...]), scores?[index] ?? 0, leftLength, characters - leftLength))
                }
                split += UTF8Scanning.scalarLength(lead: piece[split])
                leftLength += 1
            }
        }
        guard scores != nil else { return splits.map { ($0.left, $0.right) } }
        let order = splits.indices.sorted { a, b in
            let x = splits[a], y = splits[b]
            if x.score != y.score { return x.score > y.score }
            if x.leftLength != y.leftLength { return x.leftLength > y.leftLength }
            if x.rightLength != y.rightLength { return x.rightLength > y.rightLength }
            return a < b
        }
        return order.map { (splits[$0].left, splits[$0].right) }
    }

    /// The number of characters in `piece`, stepping as `merges` splits it.
    private static func characterCount(_ piece: [UInt8]) -> Int {
        var count = 0, index = 0
        while index < piece.count {
            index += UTF8Scanning.scalarLength(lead: piece[index])
            count += 1
        }
        return count
    }

    /// Refuses what transformers' conversion does not reproduce: another model type, models
    /// without byte fallback, and normalizer settings SentencePiece applies but transformers
    /// ignores.
    private static func checkConvertible(_ model: SentencePieceModel, configuration: TokenizerConfiguration) throws(TokenizerError) {
        let path = model.path
        let trainer = model.trainerSpec
        guard let type = SentencePieceModel.ModelType(rawValue: trainer.modelType), type == .bpe else {
            let name = SentencePieceModel.ModelType(rawValue: trainer.modelType)?.name ?? "\(trainer.modelType)"
            throw .unsupported(path: path, field: "trainer_spec.model_type", value: "model type \(name) (implemented: BPE)")
        }
        guard trainer.byteFallback else {
            throw .unsupported(path: path, field: "trainer_spec.byte_fallback",
                               value: "false (transformers' conversion drops characters outside the vocabulary where SentencePiece gives <unk>; only byte-fallback models are implemented)")
        }
        guard !trainer.treatWhitespaceAsSuffix else {
            throw .unsupported(path: path, field: "trainer_spec.treat_whitespace_as_suffix", value: "true (only false is implemented)")
        }
        let addPrefixSpace = configuration.addPrefixSpace ?? true
        for (name, spec) in [("normalizer_spec", model.normalizerSpec)] + (model.denormalizerSpec.map { [("denormalizer_spec", $0)] } ?? []) {
            let ruleName = SentencePieceModel.show(spec.name)
            guard spec.precompiledCharsmap.isEmpty else {
                throw .unsupported(path: path, field: "\(name).precompiled_charsmap",
                                   value: "\(spec.precompiledCharsmap.count) bytes of rules ('\(ruleName)'; only the identity normalization is implemented)")
            }
            guard spec.name.isEmpty || ruleName == "identity" else {
                throw .unsupported(path: path, field: "\(name).name", value: "normalization '\(ruleName)' (only 'identity' is implemented)")
            }
            guard spec.normalizationRuleTSV.isEmpty else {
                throw .unsupported(path: path, field: "\(name).normalization_rule_tsv", value: "custom rules (only the identity normalization is implemented)")
            }
            guard name == "normalizer_spec" else { continue }
            guard !spec.removeExtraWhitespaces else {
                throw .unsupported(path: path, field: "\(name).remove_extra_whitespaces",
                                   value: "true (SentencePiece collapses spaces, transformers' LlamaTokenizer does not; only false, as in LLaMA models, is implemented)")
            }
            guard spec.escapeWhitespaces else {
                throw .unsupported(path: path, field: "\(name).escape_whitespaces", value: "false (only true is implemented)")
            }
            guard spec.addDummyPrefix || !addPrefixSpace else {
                throw .unsupported(path: path, field: "\(name).add_dummy_prefix",
                                   value: "false while tokenizer_config.json does not set add_prefix_space to false (transformers would prepend '▁' where SentencePiece does not)")
            }
        }
    }
}
