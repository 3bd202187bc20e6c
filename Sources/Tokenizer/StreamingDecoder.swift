/// Incremental decoding for streaming generation, as tokenizers' `DecodeStream` does it: feed ids
/// one at a time; each call returns the text that became complete, or `nil`.
///
/// A character split over several `<0xXX>` byte tokens (or byte-level tokens holding part of it)
/// is returned once, whole, by the token that completes it; an incomplete sequence never shows as
/// U+FFFD while it may still complete (a run that turns out invalid is shown as U+FFFD once the
/// next token arrives). Spaces come out as the whole decode would give them (the LLaMA decoder's
/// leading-space strip applies only at the very start).
///
/// It keeps a short window of recent ids and decodes it each step: the window's previous text is
/// the "prefix", and what the new decode adds beyond it is the new text. Unlike `DecodeStream`,
/// whose window grows for as long as its text ends in U+FFFD (each step re-decoding it, so a run
/// of n replacement characters costs n² token decodes), a text withheld for more than
/// `withheldLimit` tokens is released at the next token that ends a character, and after
/// `4 × withheldLimit` tokens in any case. No character needs that many tokens (UTF-8 has at
/// most four bytes), so only output that is itself a run of U+FFFD (or of bytes that never form
/// characters) is released early; should a later byte token rewrite that run, the stream goes on
/// as it does when a run turns invalid (`beyondPrefix`). Ids the decode drops (unknown, or
/// special ones when skipped) are not kept in the window.
public struct StreamingDecoder: Sendable {
    /// The tokens a text ending in U+FFFD is withheld for before it is released at a character's end.
    static let withheldLimit = 16

    private let tokenizer: Tokenizer
    private let skipSpecialTokens: Bool
    private var ids: [Int] = []
    private var prefix: [UInt8] = []
    private var prefixIndex = 0

    init(tokenizer: Tokenizer, skipSpecialTokens: Bool) {
        self.tokenizer = tokenizer
        self.skipSpecialTokens = skipSpecialTokens
    }

    /// Adds `id`; returns the newly completed text, or `nil` if it completes nothing yet.
    public mutating func next(_ id: Int) -> String? {
        guard tokenizer.decodedToken(id, skipSpecialTokens: skipSpecialTokens) != nil else { return nil }
        if prefix.isEmpty && !ids.isEmpty {
            let text = decode(ids)
            if !Self.endsWithReplacement(text) {
                prefix = text
                prefixIndex = ids.count
            }
        }
        ids.append(id)
        let text = decode(ids)
        guard text.count > prefix.count && (!Self.endsWithReplacement(text) || withheldLongEnough()) else { return nil }
        let newText = beyondPrefix(text)
        let newPrefixIndex = ids.count - prefixIndex
        ids.removeFirst(prefixIndex)
        prefix = decode(ids)
        prefixIndex = newPrefixIndex
        return String(decoding: newText, as: UTF8.self)
    }

    /// The text still withheld when the ids end — a byte run that never completed a character,
    /// shown as the whole decode shows it (U+FFFD per bad byte) — or "" when nothing is. With it,
    /// the streamed pieces add up to `decode` of all the ids. The decoder starts afresh afterwards.
    public mutating func finish() -> String {
        let text = decode(ids)
        defer { (ids, prefix, prefixIndex) = ([], [], 0) }
        guard text.count > prefix.count else { return "" }
        return String(decoding: beyondPrefix(text), as: UTF8.self)
    }

    /// Whether the text withheld since the prefix is to be released though it ends in U+FFFD.
    private func withheldLongEnough() -> Bool {
        let withheld = ids.count - prefixIndex
        guard withheld > Self.withheldLimit else { return false }
        return withheld > 4 * Self.withheldLimit
            || !tokenizer.decodeEndsInsideCharacter(ids.suffix(4), skipSpecialTokens: skipSpecialTokens)
    }

    /// What the window's `text` holds beyond the text already returned.
    private func beyondPrefix(_ text: [UInt8]) -> ArraySlice<UInt8> {
        if text.starts(with: prefix) { return text[prefix.count...] }
        // The window's text changed before the new token (a byte run that looked valid turned
        // invalid: tokenizers raises InvalidPrefix here). Skip as many characters as were already
        // returned, so the total stays as long as the full decode.
        return Self.dropScalars(Self.scalarCount(prefix), from: text)
    }

    private func decode(_ ids: [Int]) -> [UInt8] {
        tokenizer.decodeBytes(ids, skipSpecialTokens: skipSpecialTokens)
    }

    private static func endsWithReplacement(_ text: [UInt8]) -> Bool {
        text.count >= 3 && text[text.count - 3] == 0xEF && text[text.count - 2] == 0xBF && text[text.count - 1] == 0xBD
    }

    private static func scalarCount(_ text: [UInt8]) -> Int {
        text.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
    }

    private static func dropScalars(_ count: Int, from text: [UInt8]) -> ArraySlice<UInt8> {
        var i = 0
        for _ in 0..<count where i < text.count { i += UTF8Scanning.scalarLength(lead: text[i]) }
        return text[min(i, text.count)...]
    }
}
