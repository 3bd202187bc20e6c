/// The regular expression of a `Split` pre-tokenizer. Each supported pattern is matched by
/// hand-written code (no regex engine: tokenizers' Oniguruma and Foundation's ICU differ in their
/// Unicode tables and semantics); a file with any other pattern is refused when it loads, never
/// split differently.
enum SplitPattern: String, Sendable {
    /// Qwen2's (and Qwen2.5's, LLaVA-OneVision's) pattern; see `Qwen2Pattern`.
    case qwen2 = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// Reads a `Split` pre-tokenizer: `{"Regex": …}` with a supported pattern, behavior `Isolated`,
    /// `invert` false.
    init(_ node: JSONNode) throws(TokenizerError) {
        let behavior = try node.require("behavior").asString
        guard behavior == "Isolated" else {
            throw .unsupported(path: node.file, field: node.fieldPath("behavior"), value: "'\(behavior)' (implemented: Isolated)")
        }
        if try node.require("invert").asBool {
            throw .unsupported(path: node.file, field: node.fieldPath("invert"), value: "true (only false is implemented)")
        }
        let pattern = try node.require("pattern")
        guard let regex = try pattern.string("Regex") else {
            if let literal = try pattern.string("String") {
                throw .unsupported(path: node.file, field: pattern.fieldPath("String"),
                                   value: "string pattern '\(Self.printable(literal))' (implemented: the Regex pattern of Qwen2)")
            }
            throw .invalidValue(path: node.file, field: pattern.path, reason: "expected {\"String\": …} or {\"Regex\": …}")
        }
        guard let known = SplitPattern(rawValue: regex) else {
            throw .unsupported(path: node.file, field: pattern.fieldPath("Regex"),
                               value: "regular-expression pattern '\(Self.printable(regex))' (implemented: Qwen2's pattern)")
        }
        self = known
    }

    /// The end of the match that starts at `start` in `bytes[start..<end]`; this pattern matches at
    /// every position, so successive matches cover the text.
    func matchEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int {
        switch self {
        case .qwen2: return Qwen2Pattern.matchEnd(bytes, from: start, to: end)
        }
    }

    /// `text` with control characters escaped, so that an error message stays on one line.
    private static func printable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.properties.generalCategory == .control || scalar.properties.isWhitespace && scalar != " " {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
