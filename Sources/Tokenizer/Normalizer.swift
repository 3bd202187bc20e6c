/// The `normalizer` section of tokenizer.json: the kinds LLaMA-family and Qwen2 files use.
///
/// The legacy LLaMA file declares `Sequence[Prepend("▁"), Replace(" ", "▁")]`; Metaspace-style
/// files have `null` (or an empty `Sequence`); Qwen2's has `NFC`. Any other kind (NFKC, Lowercase,
/// Precompiled, …) or a regex `Replace` is a `TokenizerError.unsupported` at load time.
indirect enum Normalizer: Sendable {
    /// Prepends the string to a non-empty input.
    case prepend([UInt8])
    /// Replaces every occurrence of a literal pattern.
    case replace(pattern: [UInt8], content: [UInt8])
    /// Unicode canonical composition, as tokenizers does it (see `NFC`).
    case nfc
    /// Applies each normalizer in turn.
    case sequence([Normalizer])

    init(_ node: JSONNode) throws(TokenizerError) {
        let type = try node.componentType()
        switch type {
        case "Prepend":
            self = .prepend(Array(try node.require("prepend").asString.utf8))
        case "Replace":
            self = .replace(pattern: try node.stringPattern("pattern"), content: Array(try node.require("content").asString.utf8))
        case "NFC":
            self = .nfc
        case "Sequence":
            var items: [Normalizer] = []
            for item in try node.require("normalizers").asArray { items.append(try Normalizer(item)) }
            self = .sequence(items)
        default:
            throw .unsupported(path: node.file, field: node.fieldPath("type"), value: "normalizer '\(type)' (implemented: Prepend, Replace, NFC, Sequence)")
        }
    }

    /// The normalized form of `text` (UTF-8 in, UTF-8 out).
    func normalize(_ text: [UInt8]) -> [UInt8] {
        switch self {
        case .prepend(let prefix):
            return text.isEmpty ? text : prefix + text
        case let .replace(pattern, content):
            return UTF8Scanning.replacing(pattern, with: content, in: text)
        case .nfc:
            return NFC.normalize(text)
        case .sequence(let items):
            var result = text
            for item in items { result = item.normalize(result) }
            return result
        }
    }
}
