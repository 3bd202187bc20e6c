/// Qwen2's pre-tokenizer regex, matched by hand over Unicode scalars:
///
///     (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
///
/// as Oniguruma runs it for tokenizers: at each position the first alternative that matches wins
/// (backtracking order), with the classes of `OnigurumaClasses`. The contractions match case-
/// insensitively under Unicode simple case folding, which for these letters adds only U+017F
/// (ſ, folding to s). Some alternative matches at every position (a scalar is a letter, a number,
/// a space or none of these), so the matches tile the text. Each scalar is examined a bounded
/// number of times (a whitespace run at most twice), so splitting a text takes linear time.
enum Qwen2Pattern {
    /// The end of the match that starts at `start` in `bytes[start..<end]` (valid UTF-8, non-empty).
    static func matchEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int {
        let (first, firstLength) = UTF8Scanning.scalar(in: bytes, at: start)
        let second = start + firstLength
        // (?i:'s|'t|'re|'ve|'m|'ll|'d)
        if first == 0x27, let length = contractionLength(bytes, from: second, to: end) { return second + length }
        let kind = OnigurumaClasses.kind(first)
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if kind == .letter { return skip(.letter, bytes, from: second, to: end) }
        var next: (value: UInt32, kind: OnigurumaClasses.Kind, end: Int)?
        if second < end {
            let (value, length) = UTF8Scanning.scalar(in: bytes, at: second)
            next = (value, OnigurumaClasses.kind(value), second + length)
        }
        if let next, next.kind == .letter, kind != .number, first != 0x0A, first != 0x0D {
            return skip(.letter, bytes, from: next.end, to: end)
        }
        // \p{N}
        if kind == .number { return second }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        if kind == .other { return skipNewlines(bytes, from: skip(.other, bytes, from: second, to: end), to: end) }
        if first == 0x20, let next, next.kind == .other {
            return skipNewlines(bytes, from: skip(.other, bytes, from: next.end, to: end), to: end)
        }
        // `first` is whitespace: \s*[\r\n]+ ends after the run's last newline; else \s+(?!\S) takes
        // the run but its last space when something follows; else \s+ takes the single space.
        var i = start
        var lastStart = start
        var newlineEnd: Int?
        while i < end {
            let (value, length) = UTF8Scanning.scalar(in: bytes, at: i)
            guard OnigurumaClasses.kind(value) == .space else { break }
            if value == 0x0A || value == 0x0D { newlineEnd = i + length }
            lastStart = i
            i += length
        }
        if let newlineEnd { return newlineEnd }
        return i == end || lastStart == start ? i : lastStart
    }

    /// The bytes after the apostrophe that a contraction takes at `i`, if one matches there.
    /// (`byte | 0x20` lowercases an ASCII letter and leaves every byte ≥ 0x80 ≥ 0x80.)
    private static func contractionLength(_ bytes: UnsafeBufferPointer<UInt8>, from i: Int, to end: Int) -> Int? {
        guard i < end else { return nil }
        func followedBy(_ lowercase: UInt8) -> Int? {
            i + 1 < end && bytes[i + 1] | 0x20 == lowercase ? 2 : nil
        }
        switch bytes[i] | 0x20 {
        case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"): return 1
        case UInt8(ascii: "r"), UInt8(ascii: "v"): return followedBy(UInt8(ascii: "e"))
        case UInt8(ascii: "l"): return followedBy(UInt8(ascii: "l"))
        default:
            // U+017F LATIN SMALL LETTER LONG S (C5 BF) folds to s.
            return bytes[i] == 0xC5 && i + 1 < end && bytes[i + 1] == 0xBF ? 2 : nil
        }
    }

    /// The end of the run of scalars of `kind` starting at `i`.
    @inline(__always)
    private static func skip(_ kind: OnigurumaClasses.Kind, _ bytes: UnsafeBufferPointer<UInt8>, from i: Int, to end: Int) -> Int {
        var i = i
        while i < end {
            let (value, length) = UTF8Scanning.scalar(in: bytes, at: i)
            guard OnigurumaClasses.kind(value) == kind else { break }
            i += length
        }
        return i
    }

    /// The end of the run of `\r` and `\n` starting at `i`.
    private static func skipNewlines(_ bytes: UnsafeBufferPointer<UInt8>, from i: Int, to end: Int) -> Int {
        var i = i
        while i < end && (bytes[i] == 0x0A || bytes[i] == 0x0D) { i += 1 }
        return i
    }
}
