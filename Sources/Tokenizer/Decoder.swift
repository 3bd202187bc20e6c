/// The `decoder` section: turns token strings back into text, as tokenizers' decoders do
/// (`decode_chain` over a list of UTF-8 token strings).
///
/// LLaMA files declare `Sequence[Replace("▁", " "), ByteFallback, Fuse, Strip(" ", 1, 0)]`;
/// Metaspace-style ones may declare `Metaspace`; Qwen2's declares `ByteLevel`. A `null` decoder
/// joins the tokens with spaces (done by `Tokenizer.decode`).
indirect enum Decoder: Sendable {
    case replace(pattern: [UInt8], content: [UInt8])
    /// Runs of `<0xXX>` tokens become their bytes when those form valid UTF-8, else one U+FFFD
    /// per byte.
    case byteFallback
    /// Joins all tokens into one.
    case fuse
    /// Removes up to `start` leading and `stop` trailing `content` characters from each token.
    case strip(content: UInt32, start: Int, stop: Int)
    /// Replacement character → space; in the first token it is dropped unless the scheme is never.
    case metaspace(replacement: [UInt8], scheme: PrependScheme)
    /// Each token's byte-level characters become their bytes (a token with another character, such
    /// as an added token with a space, stays as its UTF-8), all joined into one token; invalid
    /// UTF-8 becomes U+FFFD per maximal invalid sequence (Rust's `from_utf8_lossy`). Its settings
    /// do not change decoding.
    case byteLevel
    case sequence([Decoder])

    init(_ node: JSONNode) throws(TokenizerError) {
        let type = try node.componentType()
        switch type {
        case "Replace":
            self = .replace(pattern: try node.stringPattern("pattern"), content: Array(try node.require("content").asString.utf8))
        case "ByteFallback":
            self = .byteFallback
        case "Fuse":
            self = .fuse
        case "Strip":
            let start = try node.require("start").asInt, stop = try node.require("stop").asInt
            guard start >= 0, stop >= 0 else {
                throw .invalidValue(path: node.file, field: node.path, reason: "start and stop must not be negative")
            }
            self = .strip(content: try node.character("content").value, start: start, stop: stop)
        case "Metaspace":
            self = .metaspace(replacement: Array(String(Character(try node.character("replacement"))).utf8),
                              scheme: try PreTokenizer.prependScheme(node))
        case "ByteLevel":
            self = .byteLevel
        case "Sequence":
            var items: [Decoder] = []
            for item in try node.require("decoders").asArray { items.append(try Decoder(item)) }
            self = .sequence(items)
        default:
            throw .unsupported(path: node.file, field: node.fieldPath("type"), value: "decoder '\(type)' (implemented: Replace, ByteFallback, Fuse, Strip, Metaspace, ByteLevel, Sequence)")
        }
    }

    func decodeChain(_ tokens: [[UInt8]]) -> [[UInt8]] {
        switch self {
        case let .replace(pattern, content):
            return tokens.map { UTF8Scanning.replacing(pattern, with: content, in: $0) }
        case .byteFallback:
            return Self.fuseByteTokens(tokens)
        case .fuse:
            return [Array(tokens.joined())]
        case let .strip(content, start, stop):
            return tokens.map { Self.strip($0, content, start, stop) }
        case let .metaspace(replacement, scheme):
            let space = [UInt8(ascii: " ")]
            return tokens.enumerated().map { index, token in
                UTF8Scanning.replacing(replacement, with: index == 0 && scheme != .never ? [] : space, in: token)
            }
        case .byteLevel:
            var bytes: [UInt8] = []
            for token in tokens {
                if !ByteLevel.appendBytes(of: token, to: &bytes) { bytes.append(contentsOf: token) }
            }
            return [UTF8Scanning.replacingInvalidSequences(bytes)]
        case .sequence(let items):
            var current = tokens
            for item in items { current = item.decodeChain(current) }
            return current
        }
    }

    /// Whether the bytes `tokens` stand for (a `<0xXX>` token's byte under ByteFallback, a
    /// byte-level token's bytes under ByteLevel, else the token's text) end inside a character,
    /// which a later token may still complete.
    func endsInsideCharacter(_ tokens: [[UInt8]]) -> Bool {
        let fallback = contains { if case .byteFallback = $0 { true } else { false } }
        let byteLevel = contains { if case .byteLevel = $0 { true } else { false } }
        var bytes: [UInt8] = []
        for token in tokens {
            if fallback, let byte = Self.byteValue(token) {
                bytes.append(byte)
            } else if !(byteLevel && ByteLevel.appendBytes(of: token, to: &bytes)) {
                bytes.append(contentsOf: token)
            }
        }
        return UTF8Scanning.endsInsideCharacter(bytes)
    }

    /// Whether this decoder, or one in its sequence, satisfies `predicate`.
    private func contains(_ predicate: (Decoder) -> Bool) -> Bool {
        if case .sequence(let items) = self { return items.contains { $0.contains(predicate) } }
        return predicate(self)
    }

    /// The byte of a `<0xXX>` token (tokens of exactly six bytes, as tokenizers checks them; like
    /// Rust's `u8::from_str_radix`, a leading `+` is accepted).
    static func byteValue(_ token: [UInt8]) -> UInt8? {
        guard token.count == 6, token[0] == UInt8(ascii: "<"), token[1] == UInt8(ascii: "0"),
              token[2] == UInt8(ascii: "x"), token[5] == UInt8(ascii: ">") else { return nil }
        func digit(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        if token[3] == UInt8(ascii: "+") { return digit(token[4]) }
        guard let high = digit(token[3]), let low = digit(token[4]) else { return nil }
        return high << 4 | low
    }

    private static let replacementCharacter: [UInt8] = [0xEF, 0xBF, 0xBD]

    private static func fuseByteTokens(_ tokens: [[UInt8]]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        out.reserveCapacity(tokens.count)
        var pending: [UInt8] = []
        func flush() {
            guard !pending.isEmpty else { return }
            if String(validating: pending, as: UTF8.self) != nil {
                out.append(pending)
            } else {
                for _ in pending { out.append(replacementCharacter) }
            }
            pending.removeAll(keepingCapacity: true)
        }
        for token in tokens {
            if let byte = byteValue(token) {
                pending.append(byte)
            } else {
                flush()
                out.append(token)
            }
        }
        flush()
        return out
    }

    /// tokenizers' `Strip`, on characters (Unicode scalars).
    private static func strip(_ token: [UInt8], _ content: UInt32, _ start: Int, _ stop: Int) -> [UInt8] {
        var lower = 0
        var removed = 0
        while removed < start && lower < token.count {
            let (scalar, length) = UTF8Scanning.scalar(in: token, at: lower)
            guard scalar == content else { break }
            lower += length
            removed += 1
        }
        var upper = token.count
        removed = 0
        let slice = token[...]
        while removed < stop && upper > lower {
            let (scalar, scalarStart) = UTF8Scanning.scalar(in: slice, endingAt: upper)
            guard scalar == content else { break }
            upper = scalarStart
            removed += 1
        }
        return Array(token[lower..<upper])
    }
}
