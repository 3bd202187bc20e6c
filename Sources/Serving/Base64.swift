/// Strict standard base64 (RFC 4648 §4): the `+/` alphabet, no whitespace, length a multiple of
/// 4, `=` only as the last one or two characters, and unused bits of the last group zero.
enum Base64 {
    /// The decoded bytes, or nil for anything that is not strict base64.
    static func decode<Text: Collection<UInt8>>(_ text: Text) -> [UInt8]? {
        guard text.count % 4 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count / 4 * 3)
        var group: UInt32 = 0
        var count = 0
        var padding = 0
        for character in text {
            let value: UInt32
            switch character {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(character - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(character - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(character - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="): padding += 1; value = 0
            default: return nil
            }
            if padding > 0, character != UInt8(ascii: "=") { return nil }  // data after padding
            group = group << 6 | value
            count += 1
            if count == 4 {
                bytes.append(UInt8(group >> 16))
                bytes.append(UInt8(group >> 8 & 0xFF))
                bytes.append(UInt8(group & 0xFF))
                group = 0
                count = 0
            }
        }
        guard padding <= 2 else { return nil }
        if padding > 0 {
            // The pad bits of the last real character must be zero (one canonical encoding).
            guard bytes.suffix(padding).allSatisfy({ $0 == 0 }) else { return nil }
            bytes.removeLast(padding)
        }
        return bytes
    }
}
