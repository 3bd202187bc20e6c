import Foundation

/// A Hugging Face `tokenizer.json` tokenizer for the LLaMA family (LLaMA, Vicuna, Mistral: BPE
/// with byte fallback) and Qwen2 (LLaVA-OneVision: byte-level BPE after NFC and Qwen2's split
/// pattern), with added and special tokens and the normalizers, pre-tokenizers, post-processors
/// and decoders those files use. Ids and decoded text match the `tokenizers` library exactly;
/// anything a file declares that is not implemented is a `TokenizerError` at load time.
///
/// A folder with only a SentencePiece `tokenizer.model` (the original LLaVA checkpoints) is
/// converted into the same parts, exactly as transformers' `LlamaTokenizer(Fast)` converts it, and
/// so is a GGUF file's vocabulary (`init(gguf:)`, see `GGUFVocabulary`).
///
/// ```swift
/// let tokenizer = try Tokenizer(folder: "llava-1.5-7b-hf")
/// let ids = tokenizer.encode("USER: <image>\nWhat is this? ASSISTANT:")   // starts with BOS 1
/// let text = tokenizer.decode(ids)                                        // special tokens skipped
/// ```
///
/// Encoding runs: split out added tokens (raw text) → normalize each piece → split out normalized
/// added tokens → pre-tokenize → BPE per word → post-process (template). Everything works on
/// UTF-8 bytes; Swift's canonical-equivalence `String` comparison never decides a token.
public final class Tokenizer: Sendable {
    let model: BPEModel
    let normalizer: Normalizer?
    let preTokenizer: PreTokenizer?
    let addedVocabulary: AddedVocabulary
    let postProcessor: PostProcessor?
    let decoder: Decoder?

    /// What the folder's tokenizer_config.json / special_tokens_map.json declare (empty when
    /// loaded from a bare tokenizer.json or tokenizer.model; for a GGUF file, what its metadata
    /// gives: the named tokens, add_bos/add_eos, the chat template).
    public let configuration: TokenizerConfiguration
    /// Beginning-of-sequence id: the config's `bos_token` (for a tokenizer.model, `<s>` unless the
    /// config says otherwise), else the special token the template puts first.
    public let bosID: Int?
    /// End-of-sequence id: the config's `eos_token`, else the special token the template puts last.
    public let eosID: Int?
    /// Padding id: the config's `pad_token`.
    public let padID: Int?
    /// The unknown token's id: the model's `unk_token`, else the config's `unk_token` (a converted
    /// `tokenizer.model` has no model-level one, as in transformers: byte fallback covers
    /// everything).
    public let unkID: Int?
    /// Vocabulary entries plus added tokens that are not in it (tokenizers'
    /// `get_vocab_size(with_added_tokens=True)`).
    public let vocabularySize: Int

    /// Loads a model folder: its `tokenizer.json`, or, when there is none, its SentencePiece
    /// `tokenizer.model` converted as transformers' `LlamaTokenizer(Fast)` converts it (see
    /// `SentencePieceConversion`); with `tokenizer_config.json` and `special_tokens_map.json` when
    /// present (for BOS/EOS/pad, the special tokens they name, and a `tokenizer.model`'s
    /// `legacy` / `add_bos_token` / `add_eos_token` / `add_prefix_space`).
    public convenience init(folder: String) throws(TokenizerError) {
        let json = (folder as NSString).appendingPathComponent("tokenizer.json")
        let sentencePiece = (folder as NSString).appendingPathComponent("tokenizer.model")
        let fileManager = FileManager.default
        let hasJSON = fileManager.fileExists(atPath: json)
        guard hasJSON || fileManager.fileExists(atPath: sentencePiece) else {
            if !fileManager.fileExists(atPath: folder) { throw .cannotRead(path: folder, reason: "no such folder") }
            throw .noTokenizerFile(folder: folder)
        }
        let configuration = try TokenizerConfiguration(folder: folder) { fileManager.fileExists(atPath: $0) }
        if hasJSON {
            try self.init(parts: try Self.parts(tokenizerJSON: json, configuration: configuration), configuration: configuration)
        } else {
            let model = try SentencePieceModel(path: sentencePiece)
            try self.init(parts: try SentencePieceConversion.parts(model, configuration: configuration), configuration: configuration)
        }
    }

    /// Loads a `tokenizer.json` file on its own.
    public convenience init(tokenizerJSON path: String) throws(TokenizerError) {
        let configuration = TokenizerConfiguration()
        try self.init(parts: try Self.parts(tokenizerJSON: path, configuration: configuration), configuration: configuration)
    }

    /// Converts a SentencePiece `tokenizer.model` on its own, as transformers does for a folder
    /// without tokenizer_config.json: `<s>`, `</s>`, `<unk>` as BOS, EOS and unknown token, but
    /// no BOS added by `encode` (transformers' `add_bos_token` defaults to false), and the
    /// non-legacy Metaspace (`▁` prepended only at the start of the input).
    public convenience init(sentencePieceModel path: String) throws(TokenizerError) {
        let configuration = TokenizerConfiguration()
        let model = try SentencePieceModel(path: path)
        try self.init(parts: try SentencePieceConversion.parts(model, configuration: configuration), configuration: configuration)
    }

    /// The parts a `tokenizer.json` declares, with the special tokens `configuration` names added.
    private static func parts(tokenizerJSON path: String, configuration: TokenizerConfiguration) throws(TokenizerError) -> TokenizerParts {
        let file = try TokenizerFile(path: path)
        for field in ["truncation", "padding"] {
            if let node = file.section(field) {
                throw .unsupported(path: path, field: field, value: "\(node.value) (only null is implemented)")
            }
        }
        let model = try BPEModel(file: file)
        let normalizer = try file.section("normalizer").map { node throws(TokenizerError) in try Normalizer(node) }
        let preTokenizer = try file.section("pre_tokenizer").map { node throws(TokenizerError) in try PreTokenizer(node) }
        let postProcessor = try file.section("post_processor").map { node throws(TokenizerError) in try PostProcessor(node) }
        let decoder = try file.section("decoder").map { node throws(TokenizerError) in try Decoder(node) }

        var fileTokens: [AddedVocabulary.Entry] = []
        for item in try file.section("added_tokens")?.asArray ?? [] {
            let special = try item.bool("special") ?? false
            fileTokens.append(AddedVocabulary.Entry(
                content: Array(try item.require("content").asString.utf8), special: special,
                normalized: try item.bool("normalized") ?? !special, lstrip: try item.bool("lstrip") ?? false,
                rstrip: try item.bool("rstrip") ?? false, singleWord: try item.bool("single_word") ?? false))
        }
        let fileVocabulary = AddedVocabulary([fileTokens], model: model, normalizer: normalizer)
        // Special tokens the config names but tokenizer.json lacks become new special tokens, as
        // transformers adds them; one that is a plain vocabulary token would need transformers'
        // own decode-time skipping, which is not implemented.
        var configTokens: [AddedVocabulary.Entry] = []
        for (configFile, field, token) in configuration.allSpecialTokens {
            let content = ArraySlice(token.content.utf8)
            if fileVocabulary.idsByContent[content] != nil { continue }
            if model.vocab[content] != nil {
                throw .unsupported(path: configFile, field: field,
                                   value: "'\(token.content)' is a vocabulary token but not an added token of \(path)")
            }
            if configTokens.contains(where: { $0.content[...] == content }) { continue }
            configTokens.append(AddedVocabulary.Entry(content: Array(content), special: true, normalized: token.normalized,
                                                      lstrip: token.lstrip, rstrip: token.rstrip, singleWord: token.singleWord))
        }
        let added = configTokens.isEmpty ? fileVocabulary
            : AddedVocabulary([fileTokens, configTokens], model: model, normalizer: normalizer)
        return TokenizerParts(model: model, normalizer: normalizer, preTokenizer: preTokenizer, addedVocabulary: added,
                              postProcessor: postProcessor, decoder: decoder, source: path,
                              bosToken: configuration.bosToken?.content, eosToken: configuration.eosToken?.content,
                              padToken: configuration.padToken?.content, unkToken: configuration.unkToken?.content)
    }

    init(parts: TokenizerParts, configuration: TokenizerConfiguration) throws(TokenizerError) {
        let model = parts.model
        self.model = model
        normalizer = parts.normalizer
        preTokenizer = parts.preTokenizer
        postProcessor = parts.postProcessor
        decoder = parts.decoder
        let added = parts.addedVocabulary
        addedVocabulary = added
        self.configuration = configuration

        let overlapping = added.idsByContent.keys.filter { model.vocab[$0] != nil }.count
        vocabularySize = model.count + added.idsByContent.count - overlapping

        func resolve(_ content: String) -> Int? {
            let key = ArraySlice(content.utf8)
            return (added.idsByContent[key] ?? model.vocab[key]).map(Int.init)
        }
        let template = parts.postProcessor
        bosID = parts.bosToken.flatMap(resolve) ?? template?.leadingToken.map(Int.init)
        eosID = parts.eosToken.flatMap(resolve) ?? template?.trailingToken.map(Int.init)
        padID = parts.padToken.flatMap(resolve)
        unkID = model.unkID.map(Int.init) ?? parts.unkToken.flatMap(resolve)

        for declared in configuration.addedTokensDecoder {
            let actual = resolve(declared.content)
            guard actual == declared.id else {
                throw .unsupported(path: declared.file, field: declared.field,
                                   value: "token '\(declared.content)' with id \(declared.id), which \(parts.source) " + (actual.map { "gives id \($0)" } ?? "does not have"))
            }
        }
    }

    // MARK: - Encoding

    /// The token ids of `text`. With `addSpecialTokens`, the post-processor's template adds its
    /// special tokens (BOS for LLaMA files).
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
        var ids: [Int32] = []
        var tokens: [[UInt8]] = []
        run(text, addSpecialTokens: addSpecialTokens, ids: &ids, tokens: &tokens, collectTokens: false)
        return ids.map { Int($0) }
    }

    /// The token strings of `text` as tokenizers reports them (`Encoding.tokens`): vocabulary
    /// tokens, `<0xXX>` byte tokens, and added tokens as the text they matched (with the
    /// whitespace an `lstrip`/`rstrip` token absorbed).
    public func tokens(for text: String, addSpecialTokens: Bool = true) -> [String] {
        var ids: [Int32] = []
        var tokens: [[UInt8]] = []
        run(text, addSpecialTokens: addSpecialTokens, ids: &ids, tokens: &tokens, collectTokens: true)
        return tokens.map { String(decoding: $0, as: UTF8.self) }
    }

    private func run(_ text: String, addSpecialTokens: Bool, ids: inout [Int32], tokens: inout [[UInt8]], collectTokens: Bool) {
        let bytes = Array(text.utf8)
        ids.reserveCapacity(bytes.count / 3 + 4)
        var scratch = BPEScratch()
        for segment in addedVocabulary.split(bytes, with: addedVocabulary.rawMatcher) {
            switch segment {
            case let .added(id, range):
                ids.append(id)
                if collectTokens { tokens.append(Array(bytes[range])) }
            case let .text(range):
                let piece = Array(bytes[range])
                let normalized = normalizer?.normalize(piece) ?? piece
                for part in addedVocabulary.split(normalized, with: addedVocabulary.normalizedMatcher) {
                    switch part {
                    case let .added(id, partRange):
                        ids.append(id)
                        if collectTokens { tokens.append(Array(normalized[partRange])) }
                    case let .text(partRange):
                        // Metaspace's "first" scheme prepends only at the start of the input.
                        let atStart = range.lowerBound == 0 && partRange.lowerBound == 0
                        var words = Words(buffer: partRange.count == normalized.count ? normalized : Array(normalized[partRange]), atStart: atStart)
                        if let preTokenizer { words = preTokenizer.preTokenize(words) }
                        for wordRange in words.ranges {
                            let first = ids.count
                            model.encode(words.buffer, wordRange, into: &ids, scratch: &scratch)
                            if collectTokens {
                                for id in ids[first...] { tokens.append(Array(model.token(of: Int(id)) ?? [])) }
                            }
                        }
                    }
                }
            }
        }
        postProcessor?.process(&ids, &tokens, addSpecialTokens: addSpecialTokens, collectTokens: collectTokens)
    }

    // MARK: - Decoding

    /// The text of `ids`, through the file's decoder (for LLaMA: `▁` → space, `<0xXX>` runs fused
    /// into UTF-8 — invalid runs give one U+FFFD per byte — and one leading space stripped). Ids
    /// that are not in the vocabulary are ignored, as tokenizers does.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = true) -> String {
        String(decoding: decodeBytes(ids, skipSpecialTokens: skipSpecialTokens), as: UTF8.self)
    }

    func decodeBytes(_ ids: [Int], skipSpecialTokens: Bool) -> [UInt8] {
        var tokens: [[UInt8]] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            if let token = decodedToken(id, skipSpecialTokens: skipSpecialTokens) { tokens.append(token) }
        }
        guard let decoder else { return Array(tokens.joined(separator: [UInt8(ascii: " ")])) }
        return Array(decoder.decodeChain(tokens).joined())
    }

    /// The token `decodeBytes` passes to the decoder for `id`: `nil` for an id outside the
    /// vocabulary, or a special token when those are skipped.
    func decodedToken(_ id: Int, skipSpecialTokens: Bool) -> [UInt8]? {
        guard let token = tokenBytes(of: id) else { return nil }
        return skipSpecialTokens && addedVocabulary.specialContents.contains(token[...]) ? nil : token
    }

    /// Whether the text of `ids` (the last few of a window) ends inside a character that a later
    /// token may complete (see `Decoder.endsInsideCharacter`); never for a file without a decoder.
    func decodeEndsInsideCharacter(_ ids: ArraySlice<Int>, skipSpecialTokens: Bool) -> Bool {
        guard let decoder else { return false }
        return decoder.endsInsideCharacter(ids.compactMap { decodedToken($0, skipSpecialTokens: skipSpecialTokens) })
    }

    /// A decoder for streaming generation: feed it ids one at a time.
    public func streamingDecoder(skipSpecialTokens: Bool = true) -> StreamingDecoder {
        StreamingDecoder(tokenizer: self, skipSpecialTokens: skipSpecialTokens)
    }

    // MARK: - Vocabulary

    /// The id of `token` (added tokens first, then the vocabulary), compared byte for byte.
    public func id(of token: String) -> Int? {
        let key = ArraySlice(token.utf8)
        return (addedVocabulary.idsByContent[key] ?? model.vocab[key]).map(Int.init)
    }

    /// The token string of `id` (a `normalized` added token is given in its normalized form, as
    /// tokenizers' `id_to_token` does).
    public func token(of id: Int) -> String? {
        tokenBytes(of: id).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether `decode(_:skipSpecialTokens: true)` drops `id`.
    public func isSpecial(_ id: Int) -> Bool {
        guard let token = tokenBytes(of: id) else { return false }
        return addedVocabulary.specialContents.contains(token[...])
    }

    /// The added tokens (tokenizer.json's `added_tokens`, then those the config added; for a
    /// tokenizer.model, the converted ones), in order.
    public var addedTokens: [AddedToken] { addedVocabulary.tokens }

    func tokenBytes(of id: Int) -> [UInt8]? {
        guard let id32 = Int32(exactly: id) else { return nil }
        if let form = addedVocabulary.decodingForm(of: id32) { return form }
        return model.token(of: id).map { Array($0) }
    }
}

/// A tokenizer's components, from a tokenizer.json or converted from a tokenizer.model: both
/// paths produce these same parts, and `Tokenizer` runs them the same way.
struct TokenizerParts {
    var model: BPEModel
    var normalizer: Normalizer?
    var preTokenizer: PreTokenizer?
    var addedVocabulary: AddedVocabulary
    var postProcessor: PostProcessor?
    var decoder: Decoder?
    /// The file the parts come from (for error messages).
    var source: String
    /// The contents of the BOS, EOS, pad and unknown tokens, where named.
    var bosToken: String?
    var eosToken: String?
    var padToken: String?
    var unkToken: String?
}
