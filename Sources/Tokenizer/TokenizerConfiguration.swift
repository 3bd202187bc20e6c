/// What a model folder's `tokenizer_config.json` (and, for keys it lacks, `special_tokens_map.json`)
/// declares about special tokens.
///
/// As in transformers 5, tokenizer.json's post-processor decides what `encode` adds:
/// `add_bos_token` / `add_eos_token` are recorded here but not applied (transformers drops them
/// when a tokenizer.json exists). Named special tokens that tokenizer.json lacks are added as new
/// special tokens, as transformers does. For a folder with only a SentencePiece
/// `tokenizer.model`, `add_bos_token`, `add_eos_token`, `legacy` and `add_prefix_space` shape the
/// converted tokenizer as transformers' `LlamaTokenizer` does (see `SentencePieceConversion`).
public struct TokenizerConfiguration: Sendable, Equatable {
    /// A named special token: its content and the flags a `{"content": …}` object may give.
    public struct SpecialToken: Sendable, Equatable {
        /// The token's text.
        public var content: String
        /// Flags used only when the token has to be added (tokenizer.json lacks it).
        public var lstrip = false
        public var rstrip = false
        public var singleWord = false
        public var normalized = false
    }

    /// `bos_token`, `eos_token`, … as declared.
    public var bosToken: SpecialToken?
    public var eosToken: SpecialToken?
    public var unkToken: SpecialToken?
    public var sepToken: SpecialToken?
    public var padToken: SpecialToken?
    public var clsToken: SpecialToken?
    public var maskToken: SpecialToken?
    /// `extra_special_tokens` (or the older `additional_special_tokens`).
    public var extraSpecialTokens: [SpecialToken] = []
    /// As declared (see the type's note: applied only to a `tokenizer.model`).
    public var addBOSToken: Bool?
    public var addEOSToken: Bool?
    /// `legacy` (used only to convert a `tokenizer.model`: Metaspace prepends `▁` to every piece
    /// of text between added tokens when true, only at the start of the input when false/absent).
    public var legacy: Bool?
    /// `add_prefix_space` (used only to convert a `tokenizer.model`; absent means true).
    public var addPrefixSpace: Bool?
    /// The Jinja chat template, when given as one string.
    public var chatTemplate: String?
    /// An entry of `added_tokens_decoder` (checked against tokenizer.json when loading; a
    /// converted `tokenizer.model` also takes its flags, as transformers does).
    struct DeclaredToken: Sendable, Equatable {
        var id: Int
        var content: String
        var file: String
        var field: String
        var special = false
        var normalized = true
        var lstrip = false
        var rstrip = false
        var singleWord = false
    }
    /// `added_tokens_decoder`, sorted by id.
    var addedTokensDecoder: [DeclaredToken] = []

    /// The file each special-token field was read from (for error messages).
    var sources: [String: String] = [:]
    /// The named special-token fields present in either file, including those set to `null`
    /// (a converted `tokenizer.model` defaults only the absent ones).
    var declaredTokenFields: Set<String> = []
    /// Whether tokenizer_config.json itself has `extra_special_tokens` or
    /// `additional_special_tokens` (which replace a `tokenizer.model`'s CONTROL and USER_DEFINED
    /// pieces as added tokens in transformers).
    var configDeclaresExtraSpecialTokens = false

    /// The named tokens in transformers' order (bos, eos, unk, sep, pad, cls, mask), then the
    /// extras, with the file and field that declared them.
    var allSpecialTokens: [(file: String, field: String, token: SpecialToken)] {
        let named: [(String, SpecialToken?)] = [("bos_token", bosToken), ("eos_token", eosToken), ("unk_token", unkToken),
                                                ("sep_token", sepToken), ("pad_token", padToken), ("cls_token", clsToken),
                                                ("mask_token", maskToken)]
        let extras = extraSpecialTokens.enumerated().map { ("extra_special_tokens[\($0.offset)]", Optional($0.element)) }
        return (named + extras).compactMap { field, token in
            token.map { (sources[field.hasPrefix("extra") ? "extra_special_tokens" : field] ?? "tokenizer_config.json", field, $0) }
        }
    }

    /// An empty configuration (what a bare tokenizer.json gets).
    public init() {}

    /// Reads `tokenizer_config.json` and `special_tokens_map.json` from `folder` (either may be
    /// absent).
    init(folder: String, fileExists: (String) -> Bool) throws(TokenizerError) {
        let config = "\(folder)/tokenizer_config.json"
        let map = "\(folder)/special_tokens_map.json"
        if fileExists(config) { try read(JSONNode.load(path: config), overwrite: true) }
        if fileExists(map) { try read(JSONNode.load(path: map), overwrite: false) }
    }

    private mutating func read(_ root: JSONNode, overwrite: Bool) throws(TokenizerError) {
        guard root.isObject else {
            throw .wrongType(path: root.file, field: "(top level)", expected: "an object", found: root.value.kindName)
        }
        func set(_ keyPath: WritableKeyPath<TokenizerConfiguration, SpecialToken?>, _ key: String) throws(TokenizerError) {
            if root.value[key] != nil { declaredTokenFields.insert(key) }
            guard overwrite || self[keyPath: keyPath] == nil, let node = root.member(key) else { return }
            self[keyPath: keyPath] = try Self.specialToken(node)
            sources[key] = root.file
        }
        try set(\.bosToken, "bos_token")
        try set(\.eosToken, "eos_token")
        try set(\.unkToken, "unk_token")
        try set(\.sepToken, "sep_token")
        try set(\.padToken, "pad_token")
        try set(\.clsToken, "cls_token")
        try set(\.maskToken, "mask_token")
        if overwrite || extraSpecialTokens.isEmpty,
           let list = root.member("extra_special_tokens") ?? root.member("additional_special_tokens"), list.value.arrayValue != nil {
            extraSpecialTokens = []
            for item in try list.asArray { extraSpecialTokens.append(try Self.specialToken(item)) }
            sources["extra_special_tokens"] = root.file
        }
        if overwrite {
            // A list (or null); the dict form names model-specific tokens instead.
            configDeclaresExtraSpecialTokens = ["extra_special_tokens", "additional_special_tokens"].contains { key in
                root.value[key].map { $0 == .null || $0.arrayValue != nil } ?? false
            }
            addBOSToken = try root.bool("add_bos_token")
            addEOSToken = try root.bool("add_eos_token")
            legacy = try root.bool("legacy")
            addPrefixSpace = try root.bool("add_prefix_space")
            chatTemplate = root.member("chat_template")?.value.stringValue
            if let decoder = root.member("added_tokens_decoder") {
                for key in try decoder.keys {
                    guard let entry = decoder.member(key) else { continue }
                    guard let id = Int(key) else {
                        throw .invalidValue(path: root.file, field: entry.path, reason: "'\(key)' is not an integer id")
                    }
                    let special = try entry.bool("special") ?? false
                    addedTokensDecoder.append(DeclaredToken(
                        id: id, content: try entry.require("content").asString, file: root.file, field: entry.path,
                        special: special, normalized: try entry.bool("normalized") ?? !special,
                        lstrip: try entry.bool("lstrip") ?? false, rstrip: try entry.bool("rstrip") ?? false,
                        singleWord: try entry.bool("single_word") ?? false))
                }
                addedTokensDecoder.sort { $0.id < $1.id }
            }
        }
    }

    /// A token given as a string or as an AddedToken object.
    private static func specialToken(_ node: JSONNode) throws(TokenizerError) -> SpecialToken {
        if let content = node.value.stringValue { return SpecialToken(content: content) }
        guard node.isObject else {
            throw .wrongType(path: node.file, field: node.path, expected: "a string or an object with \"content\"", found: node.value.kindName)
        }
        return SpecialToken(content: try node.require("content").asString,
                            lstrip: try node.bool("lstrip") ?? false, rstrip: try node.bool("rstrip") ?? false,
                            singleWord: try node.bool("single_word") ?? false, normalized: try node.bool("normalized") ?? false)
    }
}
