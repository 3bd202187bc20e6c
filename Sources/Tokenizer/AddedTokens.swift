/// A token added on top of the model's vocabulary (an entry of tokenizer.json's `added_tokens`,
/// or a special token a folder's tokenizer_config.json names).
public struct AddedToken: Sendable, Equatable {
    /// The id tokenizers assigns (the vocabulary's id for a content it has, else the next free id
    /// after the vocabulary; the file's `id` field is not used, as in tokenizers).
    public let id: Int
    /// The text the token matches.
    public let content: String
    /// Special tokens are skipped by `decode(_:skipSpecialTokens: true)`.
    public let special: Bool
    /// Matched in the normalized text (as its normalized form) instead of the raw text.
    public let normalized: Bool
    /// Absorbs the whitespace on its left.
    public let lstrip: Bool
    /// Absorbs the whitespace on its right.
    public let rstrip: Bool
    /// Only matches when not inside a word (no word character touches it on either side).
    public let singleWord: Bool
}

/// A piece of text between added tokens, or an added token, as byte offsets.
enum Segment {
    case text(Range<Int>)
    case added(id: Int32, Range<Int>)
}

/// Finds added tokens leftmost-longest, like the Aho-Corasick automaton tokenizers builds.
struct TokenMatcher: Sendable {
    /// Candidates by first byte, longest first.
    private let candidates: [[(pattern: [UInt8], id: Int32)]]
    let isEmpty: Bool

    init(_ patterns: [(pattern: [UInt8], id: Int32)]) {
        var table = [[(pattern: [UInt8], id: Int32)]](repeating: [], count: 256)
        for entry in patterns where !entry.pattern.isEmpty { table[Int(entry.pattern[0])].append(entry) }
        for i in 0..<256 { table[i].sort { $0.pattern.count > $1.pattern.count } }
        candidates = table
        isEmpty = patterns.allSatisfy { $0.pattern.isEmpty }
    }

    /// The leftmost match starting at or after `from`, the longest one there.
    func firstMatch(in bytes: UnsafeBufferPointer<UInt8>, from: Int) -> (range: Range<Int>, id: Int32)? {
        var i = from
        while i < bytes.count {
            for candidate in candidates[Int(bytes[i])] where UTF8Scanning.hasPrefix(bytes, at: i, candidate.pattern) {
                return (i..<(i + candidate.pattern.count), candidate.id)
            }
            i += 1
        }
        return nil
    }
}

/// tokenizers' `AddedVocabulary`: the added tokens, their ids, and the split of a text around them.
struct AddedVocabulary: Sendable {
    /// In the order they were added.
    let tokens: [AddedToken]
    /// Content → id (`added_tokens_map`).
    let idsByContent: [ArraySlice<UInt8>: Int32]
    /// Id → token (`added_tokens_map_r`).
    let tokensByID: [Int32: AddedToken]
    /// Id → the text decoding uses: the normalized form of a `normalized` token, else its content.
    let decodingForms: [Int32: [UInt8]]
    /// Contents of special tokens (decode skips a token whose text is one of these).
    let specialContents: Set<ArraySlice<UInt8>>
    /// Tokens matched in the raw text, and (normalized forms) in the normalized text.
    let rawMatcher: TokenMatcher
    let normalizedMatcher: TokenMatcher

    /// A token to add: content and flags; the id is assigned here.
    struct Entry {
        var content: [UInt8]
        var special: Bool
        var normalized: Bool
        var lstrip = false
        var rstrip = false
        var singleWord = false
    }

    /// Adds the entries of each batch in order, assigning ids exactly as tokenizers' `add_tokens`
    /// does (one call per batch: tokenizer.json's `added_tokens`, then the special tokens a
    /// folder's config names): a content already known (added before, or in the model's
    /// vocabulary) keeps that id; a new one takes the next free id, which starts each batch at the
    /// model's vocabulary size (its entry count) or one past the largest added id. The `id` fields
    /// of tokenizer.json are not used, as in tokenizers.
    init(_ batches: [[Entry]], model: BPEModel, normalizer: Normalizer?) {
        var idsByContent: [ArraySlice<UInt8>: Int32] = [:]
        var tokensByID: [Int32: AddedToken] = [:]
        var order: [Int32] = []
        var decodingForms: [Int32: [UInt8]] = [:]
        var specialContents = Set<ArraySlice<UInt8>>()
        for entries in batches {
            var nextID = Int32(model.count)
            if let largest = tokensByID.keys.max(), Int(largest) >= model.count || model.count == 0 { nextID = largest + 1 }
            for entry in entries where !entry.content.isEmpty {
                let key = ArraySlice(entry.content)
                let id: Int32
                if let known = idsByContent[key] ?? model.vocab[key] {
                    id = known
                } else {
                    id = nextID
                    nextID += 1
                }
                // tokenizers decodes a normalized token as its normalized form ("▁<tok>" with the
                // legacy normalizer), and matches that form in normalized text.
                decodingForms[id] = entry.normalized ? normalizer?.normalize(entry.content) ?? entry.content : entry.content
                idsByContent[key] = id
                if entry.special { specialContents.insert(key) }
                if tokensByID[id] == nil { order.append(id) }
                tokensByID[id] = AddedToken(id: Int(id), content: String(decoding: entry.content, as: UTF8.self),
                                            special: entry.special, normalized: entry.normalized,
                                            lstrip: entry.lstrip, rstrip: entry.rstrip, singleWord: entry.singleWord)
            }
        }
        var raw: [(pattern: [UInt8], id: Int32)] = []
        var normalized: [(pattern: [UInt8], id: Int32)] = []
        for id in order {
            guard let token = tokensByID[id] else { continue }
            let form = decodingForms[id] ?? Array(token.content.utf8)
            if token.normalized { normalized.append((form, id)) } else { raw.append((form, id)) }
        }
        self.tokens = order.compactMap { tokensByID[$0] }
        self.idsByContent = idsByContent
        self.tokensByID = tokensByID
        self.decodingForms = decodingForms
        self.specialContents = specialContents
        self.rawMatcher = TokenMatcher(raw)
        self.normalizedMatcher = TokenMatcher(normalized)
    }

    /// The text decoding uses for added token `id`.
    func decodingForm(of id: Int32) -> [UInt8]? { decodingForms[id] }

    /// tokenizers' `find_matches`: splits `text` into text pieces and added tokens, applying each
    /// token's `single_word`, `lstrip` and `rstrip`.
    func split(_ text: [UInt8], with matcher: TokenMatcher) -> [Segment] {
        guard !matcher.isEmpty else { return text.isEmpty ? [] : [.text(0..<text.count)] }
        var segments: [Segment] = []
        text.withUnsafeBufferPointer { bytes in
            var pieceStart = 0
            var searchFrom = 0
            while let match = matcher.firstMatch(in: bytes, from: searchFrom) {
                // The automaton resumes after the match, even when the match is discarded below.
                searchFrom = match.range.upperBound
                guard let token = tokensByID[match.id] else { continue }
                var start = match.range.lowerBound
                var stop = match.range.upperBound
                if token.singleWord {
                    let spaceBefore = start == 0 || !Self.endsWithWordCharacter(text[..<start])
                    let spaceAfter = stop == text.count || !UTF8Scanning.isWordCharacter(UTF8Scanning.scalar(in: bytes, at: stop).value)
                    guard spaceBefore && spaceAfter else { continue }
                }
                if token.lstrip {
                    start = max(Self.trailingWhitespaceStart(text[..<start]), pieceStart)
                }
                if token.rstrip {
                    while stop < text.count {
                        let (scalar, length) = UTF8Scanning.scalar(in: bytes, at: stop)
                        guard UTF8Scanning.isWhitespace(scalar) else { break }
                        stop += length
                    }
                }
                if pieceStart < start { segments.append(.text(pieceStart..<start)) }
                segments.append(.added(id: match.id, start..<stop))
                pieceStart = stop
            }
            if pieceStart < text.count { segments.append(.text(pieceStart..<text.count)) }
        }
        return segments
    }

    private static func endsWithWordCharacter(_ text: ArraySlice<UInt8>) -> Bool {
        guard !text.isEmpty else { return false }
        return UTF8Scanning.isWordCharacter(UTF8Scanning.scalar(in: text, endingAt: text.endIndex).value)
    }

    /// Where the run of whitespace at the end of `text` begins (`text.endIndex` if none).
    private static func trailingWhitespaceStart(_ text: ArraySlice<UInt8>) -> Int {
        var start = text.endIndex
        while start > text.startIndex {
            let (scalar, scalarStart) = UTF8Scanning.scalar(in: text, endingAt: start)
            guard UTF8Scanning.isWhitespace(scalar) else { break }
            start = scalarStart
        }
        return start
    }
}
