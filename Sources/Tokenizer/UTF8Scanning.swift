/// Small helpers over UTF-8 bytes. The tokenizer works on bytes throughout (never on Swift
/// `String`s, whose comparison is canonical equivalence, not identity); every buffer it scans
/// is valid UTF-8 (it comes from a `String` or from the validated tokenizer.json).
enum UTF8Scanning {
    /// The length of the scalar whose first byte is `lead`.
    @inline(__always)
    static func scalarLength(lead: UInt8) -> Int {
        lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
    }

    /// Whether `bytes` end with the start of a character: a lead byte followed by fewer
    /// continuation bytes than it declares, so that more bytes may still complete it.
    static func endsInsideCharacter(_ bytes: [UInt8]) -> Bool {
        var trailing = 0
        for byte in bytes.reversed().prefix(4) {
            if byte & 0xC0 != 0x80 { return byte >= 0xC0 && scalarLength(lead: byte) > trailing + 1 }
            trailing += 1
        }
        return false
    }

    /// The scalar starting at `i` and its length in bytes.
    @inline(__always)
    static func scalar<C: RandomAccessCollection<UInt8>>(in bytes: C, at i: C.Index) -> (value: UInt32, length: Int) {
        let b0 = UInt32(bytes[i])
        if b0 < 0x80 { return (b0, 1) }
        let b1 = UInt32(bytes[bytes.index(after: i)]) & 0x3F
        if b0 < 0xE0 { return ((b0 & 0x1F) << 6 | b1, 2) }
        let b2 = UInt32(bytes[bytes.index(i, offsetBy: 2)]) & 0x3F
        if b0 < 0xF0 { return ((b0 & 0x0F) << 12 | b1 << 6 | b2, 3) }
        let b3 = UInt32(bytes[bytes.index(i, offsetBy: 3)]) & 0x3F
        return ((b0 & 0x07) << 18 | b1 << 12 | b2 << 6 | b3, 4)
    }

    /// The scalar ending just before `end` and its start index.
    static func scalar(in bytes: ArraySlice<UInt8>, endingAt end: Int) -> (value: UInt32, start: Int) {
        var start = end - 1
        while start > bytes.startIndex && bytes[start] & 0xC0 == 0x80 { start -= 1 }
        return (scalar(in: bytes, at: start).value, start)
    }

    /// Unicode `White_Space`, what `\s` matches in Rust's `regex` crate.
    static func isWhitespace(_ value: UInt32) -> Bool {
        if value < 0x80 { return value == 0x20 || (value >= 0x09 && value <= 0x0D) }
        return Unicode.Scalar(value)?.properties.isWhitespace ?? false
    }

    /// What `\w` matches in Rust's `regex` crate: Alphabetic, marks, decimal digits, connector
    /// punctuation and Join_Control.
    static func isWordCharacter(_ value: UInt32) -> Bool {
        if value < 0x80 {
            return (value >= 0x30 && value <= 0x39) || (value >= 0x41 && value <= 0x5A) || (value >= 0x61 && value <= 0x7A) || value == 0x5F
        }
        guard let properties = Unicode.Scalar(value)?.properties else { return false }
        if properties.isAlphabetic || properties.isJoinControl { return true }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }

    /// `bytes` with each maximal invalid UTF-8 sequence replaced by U+FFFD (as Rust's
    /// `String::from_utf8_lossy` and Swift's `String(decoding:as:)` both do).
    static func replacingInvalidSequences(_ bytes: [UInt8]) -> [UInt8] {
        String(validating: bytes, as: UTF8.self) != nil ? bytes : Array(String(decoding: bytes, as: UTF8.self).utf8)
    }

    /// Whether `bytes` starts at `i` with `pattern`.
    @inline(__always)
    static func hasPrefix(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int, _ pattern: [UInt8]) -> Bool {
        guard i + pattern.count <= bytes.count else { return false }
        for k in 0..<pattern.count where bytes[i + k] != pattern[k] { return false }
        return true
    }

    /// `bytes` with every (non-overlapping, leftmost) occurrence of `pattern` replaced by `content`.
    static func replacing(_ pattern: [UInt8], with content: [UInt8], in bytes: [UInt8]) -> [UInt8] {
        guard !pattern.isEmpty, bytes.count >= pattern.count else { return bytes }
        let first = pattern[0]
        return bytes.withUnsafeBufferPointer { source in
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count + (content.count > pattern.count ? bytes.count / 2 : 0))
            var i = 0
            while i < source.count {
                if source[i] == first && hasPrefix(source, at: i, pattern) {
                    out.append(contentsOf: content)
                    i += pattern.count
                } else {
                    out.append(source[i])
                    i += 1
                }
            }
            return out
        }
    }
}
