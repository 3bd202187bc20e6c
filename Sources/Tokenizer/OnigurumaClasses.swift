/// The character classes of a `Split` regex as tokenizers matches them: tokenizers compiles `Split`
/// patterns with Oniguruma (the `onig` crate), whose UTF-8 classes are `\p{L}` = general categories
/// Lu Ll Lt Lm Lo, `\p{N}` = Nd Nl No, `\s` = White_Space.
///
/// Oniguruma's tables are Unicode 16.0 and Swift's are newer, so a scalar assigned after 16.0 is
/// unassigned there: neither letter nor number (checked against tokenizers 0.23 over every scalar).
/// White_Space is the same 25 scalars in both.
enum OnigurumaClasses {
    /// What one scalar is to the pattern (the four classes partition all scalars).
    enum Kind: UInt8 {
        case letter, number, space, other
    }

    /// The Unicode version of Oniguruma's tables.
    private static let unicodeVersion = (major: 16, minor: 0)

    /// The class of every BMP scalar (64 KB, computed once: a lookup is then ~100 times cheaper
    /// than reading the scalar's properties).
    private static let basicMultilingualPlane: [Kind] = (0..<0x10000).map { value in
        switch value {
        case 0x61...0x7A, 0x41...0x5A: return .letter
        case 0x30...0x39: return .number
        case 0x09...0x0D, 0x20: return .space
        case 0..<0x80, 0xD800...0xDFFF: return .other
        default: return kind(ofScalarWithProperties: UInt32(value))
        }
    }

    /// The class of the scalar `value`.
    @inline(__always)
    static func kind(_ value: UInt32) -> Kind {
        value < 0x10000 ? basicMultilingualPlane[Int(value)] : kind(ofScalarWithProperties: value)
    }

    private static func kind(ofScalarWithProperties value: UInt32) -> Kind {
        guard let properties = Unicode.Scalar(value)?.properties else { return .other }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return isInOnigurumaTables(properties) ? .letter : .other
        case .decimalNumber, .letterNumber, .otherNumber:
            return isInOnigurumaTables(properties) ? .number : .other
        default:
            return properties.isWhitespace ? .space : .other
        }
    }

    private static func isInOnigurumaTables(_ properties: Unicode.Scalar.Properties) -> Bool {
        guard let age = properties.age else { return false }
        return (age.major, age.minor) <= unicodeVersion
    }
}
