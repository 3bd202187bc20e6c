/// Words that the BPE model encodes one by one: ranges of one buffer.
struct Words {
    var buffer: [UInt8]
    var ranges: [Range<Int>]
    /// Whether each word begins at the very start of the input text (Metaspace's
    /// `prepend_scheme: "first"` only prepends there).
    var atStart: [Bool]

    init(buffer: [UInt8], atStart: Bool) {
        self.buffer = buffer
        self.ranges = buffer.isEmpty ? [] : [0..<buffer.count]
        self.atStart = buffer.isEmpty ? [] : [atStart]
    }

    init() {
        buffer = []
        ranges = []
        atStart = []
    }

    mutating func append(_ range: Range<Int>, atStart start: Bool) {
        guard !range.isEmpty else { return }  // tokenizers drops empty splits
        ranges.append(range)
        atStart.append(start)
    }
}

/// Metaspace's `prepend_scheme`.
enum PrependScheme: String, Sendable {
    case first, always, never
}

/// The `pre_tokenizer` section: `Metaspace` (LLaMA-family files), `Split` and `ByteLevel` (Qwen2's
/// `Sequence[Split(pattern, "Isolated"), ByteLevel]`), a `Sequence` of them, or `null`.
indirect enum PreTokenizer: Sendable {
    /// Replaces " " with the replacement character, prepends it per the scheme, and with `split`
    /// starts a new word at every replacement character.
    case metaspace(replacement: [UInt8], scheme: PrependScheme, split: Bool)
    /// Splits each word into the pattern's matches (behavior `Isolated`: every match is a word).
    case split(SplitPattern)
    /// Replaces each byte with its byte-level character (see `ByteLevel`); only
    /// `add_prefix_space` false and `use_regex` false are implemented (`trim_offsets` concerns
    /// offsets only).
    case byteLevel
    case sequence([PreTokenizer])

    init(_ node: JSONNode) throws(TokenizerError) {
        let type = try node.componentType()
        switch type {
        case "Metaspace":
            let replacement = try node.character("replacement")
            self = .metaspace(replacement: Array(String(Character(replacement)).utf8),
                              scheme: try PreTokenizer.prependScheme(node), split: try node.bool("split") ?? true)
        case "Split":
            self = .split(try SplitPattern(node))
        case "ByteLevel":
            if try node.require("add_prefix_space").asBool {
                throw .unsupported(path: node.file, field: node.fieldPath("add_prefix_space"), value: "true (only false is implemented)")
            }
            if try node.bool("use_regex") ?? true {
                throw .unsupported(path: node.file, field: node.fieldPath("use_regex"), value: "true, GPT-2's split pattern (only false is implemented)")
            }
            self = .byteLevel
        case "Sequence":
            var items: [PreTokenizer] = []
            for item in try node.require("pretokenizers").asArray { items.append(try PreTokenizer(item)) }
            self = .sequence(items)
        default:
            throw .unsupported(path: node.file, field: node.fieldPath("type"), value: "pre-tokenizer '\(type)' (implemented: Metaspace, Split, ByteLevel, Sequence)")
        }
    }

    /// Metaspace's scheme, with tokenizers' handling of the older `add_prefix_space` field.
    static func prependScheme(_ node: JSONNode) throws(TokenizerError) -> PrependScheme {
        var scheme = PrependScheme.always
        if let name = try node.string("prepend_scheme") {
            guard let parsed = PrependScheme(rawValue: name) else {
                throw .unsupported(path: node.file, field: node.fieldPath("prepend_scheme"), value: "'\(name)' (expected first, always or never)")
            }
            scheme = parsed
        }
        if try node.bool("add_prefix_space") == false {
            guard scheme == .never || node.member("prepend_scheme") == nil else {
                throw .invalidValue(path: node.file, field: node.fieldPath("add_prefix_space"), reason: "false contradicts prepend_scheme '\(scheme.rawValue)'")
            }
            scheme = .never
        }
        return scheme
    }

    /// Splits every word of `words` further.
    func preTokenize(_ words: Words) -> Words {
        switch self {
        case .sequence(let items):
            var current = words
            for item in items { current = item.preTokenize(current) }
            return current
        case .split(let pattern):
            var out = Words()
            out.buffer = words.buffer
            words.buffer.withUnsafeBufferPointer { bytes in
                for (range, atStart) in zip(words.ranges, words.atStart) {
                    var start = range.lowerBound
                    while start < range.upperBound {
                        let end = pattern.matchEnd(bytes, from: start, to: range.upperBound)
                        out.append(start..<end, atStart: atStart && start == range.lowerBound)
                        start = end
                    }
                }
            }
            return out
        case .byteLevel:
            var out = Words()
            out.buffer.reserveCapacity(words.buffer.count * 2)
            for (range, atStart) in zip(words.ranges, words.atStart) {
                let start = out.buffer.count
                ByteLevel.appendCharacters(of: words.buffer[range], to: &out.buffer)
                out.append(start..<out.buffer.count, atStart: atStart)
            }
            return out
        case let .metaspace(replacement, scheme, split):
            var out = Words()
            out.buffer.reserveCapacity(words.buffer.count + words.buffer.count / 4 + 8)
            for (range, atStart) in zip(words.ranges, words.atStart) {
                let start = out.buffer.count
                let original = words.buffer[range]
                let startsWithReplacement = original.starts(with: replacement)
                let prepend: Bool
                switch scheme {
                case .always: prepend = !startsWithReplacement && !(original.first == 0x20)
                case .first: prepend = atStart && !startsWithReplacement && !(original.first == 0x20)
                case .never: prepend = false
                }
                if prepend { out.buffer.append(contentsOf: replacement) }
                for byte in original {
                    if byte == 0x20 { out.buffer.append(contentsOf: replacement) } else { out.buffer.append(byte) }
                }
                let end = out.buffer.count
                guard split else {
                    out.append(start..<end, atStart: atStart)
                    continue
                }
                // A new word starts at every replacement character (tokenizers' MergedWithNext).
                var wordStart = start
                var i = start + 1
                while i < end {
                    if out.buffer[i] == replacement[0] && i + replacement.count <= end
                        && out.buffer[i..<(i + replacement.count)].elementsEqual(replacement) {
                        out.append(wordStart..<i, atStart: atStart && wordStart == start)
                        wordStart = i
                        i += replacement.count
                    } else {
                        i += 1
                    }
                }
                out.append(wordStart..<end, atStart: atStart && wordStart == start)
            }
            return out
        }
    }
}
