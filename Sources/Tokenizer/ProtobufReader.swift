/// A reader of the protobuf wire format, just enough for SentencePiece's `ModelProto`: it walks
/// the fields of one message and reads each value, checking every length against the bytes that
/// are left, so a truncated or corrupt file is an error, never a crash or a read past the end.
///
/// Offsets in errors count from the start of the whole buffer (nested messages share it).
struct ProtobufReader {
    /// How a field's value is encoded.
    enum WireType: UInt8, Sendable {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5

        var name: String {
            switch self {
            case .varint: return "varint"
            case .fixed64: return "64-bit"
            case .lengthDelimited: return "length-delimited"
            case .startGroup: return "start-group"
            case .endGroup: return "end-group"
            case .fixed32: return "32-bit"
            }
        }
    }

    /// A field's key: its number and wire type, and where the key starts.
    struct Field {
        let number: Int
        let wireType: WireType
        let offset: Int
    }

    /// What went wrong, and where.
    struct Failure: Error {
        let offset: Int
        let reason: String
    }

    private let buffer: [UInt8]
    private(set) var position: Int
    private let end: Int

    /// A reader of the whole buffer as one message.
    init(_ bytes: [UInt8]) {
        self.init(bytes, 0..<bytes.count)
    }

    private init(_ bytes: [UInt8], _ range: Range<Int>) {
        buffer = bytes
        position = range.lowerBound
        end = range.upperBound
    }

    var isAtEnd: Bool { position >= end }

    /// The next field's key, or `nil` at the end of the message.
    mutating func nextField() throws(Failure) -> Field? {
        guard !isAtEnd else { return nil }
        let offset = position
        let key = try varint()
        guard key >> 3 <= 0x1FFF_FFFF, key >> 3 != 0 else {
            throw Failure(offset: offset, reason: "invalid field number \(key >> 3)")
        }
        guard let wireType = WireType(rawValue: UInt8(key & 7)) else {
            throw Failure(offset: offset, reason: "invalid wire type \(key & 7) for field \(key >> 3)")
        }
        return Field(number: Int(key >> 3), wireType: wireType, offset: offset)
    }

    /// A base-128 varint (at most 10 bytes, no bits beyond 64).
    mutating func varint() throws(Failure) -> UInt64 {
        let start = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else { throw Failure(offset: start, reason: "truncated varint") }
            let byte = buffer[position]
            position += 1
            if shift == 63 && byte > 1 { throw Failure(offset: start, reason: "varint longer than 64 bits") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// The next `count` bytes' range, after checking that they are there.
    private mutating func take(_ count: UInt64, what: String) throws(Failure) -> Range<Int> {
        let remaining = end - position
        guard count <= UInt64(remaining) else {
            throw Failure(offset: position, reason: "truncated: \(what) needs \(count) bytes, \(remaining) remain")
        }
        let range = position..<(position + Int(count))
        position = range.upperBound
        return range
    }

    /// The value of a length-delimited field: the range of its bytes.
    mutating func lengthDelimited() throws(Failure) -> Range<Int> {
        let lengthOffset = position
        let length = try varint()
        do {
            return try take(length, what: "a length-delimited value")
        } catch {
            throw Failure(offset: lengthOffset, reason: error.reason)
        }
    }

    /// Skips the value of `field` (any wire type but groups, which ModelProto never uses).
    mutating func skip(_ field: Field) throws(Failure) {
        switch field.wireType {
        case .varint: _ = try varint()
        case .fixed64: _ = try take(8, what: "a 64-bit value")
        case .fixed32: _ = try take(4, what: "a 32-bit value")
        case .lengthDelimited: _ = try lengthDelimited()
        case .startGroup, .endGroup:
            throw Failure(offset: field.offset, reason: "field \(field.number) uses the deprecated group encoding")
        }
    }

    // MARK: - Typed values (each checks the wire type)

    private func expect(_ field: Field, _ wireType: WireType, _ name: String) throws(Failure) {
        guard field.wireType == wireType else {
            throw Failure(offset: field.offset, reason: "field '\(name)' (number \(field.number)) has wire type \(field.wireType.name), expected \(wireType.name)")
        }
    }

    /// A `bool` field.
    mutating func bool(_ field: Field, _ name: String) throws(Failure) -> Bool {
        try expect(field, .varint, name)
        return try varint() != 0
    }

    /// An `int32` or enum field (negative values are sign-extended to ten bytes on the wire).
    mutating func int32(_ field: Field, _ name: String) throws(Failure) -> Int32 {
        try expect(field, .varint, name)
        return Int32(truncatingIfNeeded: try varint())
    }

    /// A `float` field.
    mutating func float(_ field: Field, _ name: String) throws(Failure) -> Float {
        try expect(field, .fixed32, name)
        let range = try take(4, what: "field '\(name)'")
        var bits: UInt32 = 0
        for (shift, byte) in zip(stride(from: 0, to: 32, by: 8), buffer[range]) { bits |= UInt32(byte) << UInt32(shift) }
        return Float(bitPattern: bits)
    }

    /// A `bytes` field.
    mutating func bytes(_ field: Field, _ name: String) throws(Failure) -> [UInt8] {
        try expect(field, .lengthDelimited, name)
        return Array(buffer[try lengthDelimited()])
    }

    /// A `string` field: its UTF-8 bytes, which must be valid UTF-8.
    mutating func string(_ field: Field, _ name: String) throws(Failure) -> [UInt8] {
        let value = try bytes(field, name)
        guard String(validating: value, as: UTF8.self) != nil else {
            throw Failure(offset: field.offset, reason: "field '\(name)' is not valid UTF-8")
        }
        return value
    }

    /// An embedded message field: a reader of its bytes.
    mutating func message(_ field: Field, _ name: String) throws(Failure) -> ProtobufReader {
        try expect(field, .lengthDelimited, name)
        return ProtobufReader(buffer, try lengthDelimited())
    }
}
