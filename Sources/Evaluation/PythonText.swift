/// The few Python 3 `str` operations the reference metric scripts use, on Unicode scalars (Python
/// strings are sequences of code points; Swift's `String` compares by canonical equivalence and
/// groups "\r\n" into one character, so the metrics work on `[Unicode.Scalar]` instead).
enum PythonText {
    typealias Scalars = [Unicode.Scalar]

    /// `str.isspace()` for one code point: the characters `str.split()` and `str.strip()` remove.
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    /// What `\d` matches in a Python 3 `str` pattern: a Unicode decimal digit (category Nd).
    static func isDigit(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.generalCategory == .decimalNumber }

    /// `str.strip()`.
    static func strip(_ text: Scalars) -> Scalars {
        guard let first = text.firstIndex(where: { !isSpace($0) }), let last = text.lastIndex(where: { !isSpace($0) }) else { return [] }
        return Array(text[first...last])
    }

    /// `str.split()` with no separator: runs of whitespace separate, no empty words.
    static func split(_ text: Scalars) -> [Scalars] {
        text.split(whereSeparator: isSpace).map(Array.init)
    }

    /// `" ".join(words)`.
    static func joined(_ words: [Scalars]) -> Scalars { Array(words.joined(separator: [" "])) }

    /// `str.lower()`: each code point's full lowercase mapping. (Python also gives a capital sigma
    /// at the end of a word the final form "ς"; this does not.)
    static func lower(_ text: Scalars) -> Scalars { text.flatMap { $0.properties.lowercaseMapping.unicodeScalars } }

    /// `len(str.upper())`: the length after full uppercase mapping ("ß" counts two).
    static func upperCount(_ text: Scalars) -> Int {
        text.reduce(0) { $0 + $1.properties.uppercaseMapping.unicodeScalars.count }
    }

    /// `needle in text` for a short needle.
    static func contains(_ text: Scalars, _ needle: Scalars) -> Bool {
        guard needle.count <= text.count else { return false }
        return (0...(text.count - needle.count)).contains { text[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    /// `str.replace(old, new)` for a single code point `old`.
    static func replace(_ text: Scalars, _ old: Unicode.Scalar, with new: Scalars) -> Scalars {
        text.flatMap { $0 == old ? new : [$0] }
    }
}
