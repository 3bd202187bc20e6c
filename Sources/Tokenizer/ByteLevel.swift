/// GPT-2's byte-level alphabet (tokenizers' `ByteLevel`): each of the 256 bytes stands for one
/// visible character, so that a vocabulary of strings covers every byte sequence. The printable
/// bytes `!`…`~`, `¡`…`¬`, `®`…`ÿ` stand for themselves; the other 68 (space, controls, …), in byte
/// order, for U+0100…U+0143 (a space is `Ġ`, a newline `Ċ`).
enum ByteLevel {
    /// The character (scalar value) of each byte.
    static let characters: [UInt32] = {
        var characters = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 0x100
        for byte in 0..<256 {
            if (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte) {
                characters[byte] = UInt32(byte)
            } else {
                characters[byte] = next
                next += 1
            }
        }
        return characters
    }()

    /// The byte of each character U+0000…U+0143, -1 for characters that stand for none.
    private static let bytes: [Int16] = {
        var bytes = [Int16](repeating: -1, count: 0x144)
        for (byte, character) in characters.enumerated() { bytes[Int(character)] = Int16(byte) }
        return bytes
    }()

    /// Appends the UTF-8 of the character of each byte of `text` (one or two bytes each).
    static func appendCharacters(of text: ArraySlice<UInt8>, to output: inout [UInt8]) {
        for byte in text {
            let character = characters[Int(byte)]
            if character < 0x80 {
                output.append(UInt8(character))
            } else {
                output.append(0xC0 | UInt8(character >> 6))
                output.append(0x80 | UInt8(character & 0x3F))
            }
        }
    }

    /// Appends the bytes the characters of `token` (UTF-8) stand for; if one of them is not a
    /// byte-level character, appends nothing and returns false.
    static func appendBytes(of token: [UInt8], to output: inout [UInt8]) -> Bool {
        let mark = output.count
        var i = 0
        while i < token.count {
            let (character, length) = UTF8Scanning.scalar(in: token, at: i)
            guard character < UInt32(bytes.count), bytes[Int(character)] >= 0 else {
                output.removeSubrange(mark...)
                return false
            }
            output.append(UInt8(bytes[Int(character)]))
            i += length
        }
        return true
    }
}
