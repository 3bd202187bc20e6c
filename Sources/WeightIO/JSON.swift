import CJSON

/// A parsed JSON value (parsed with json-c). Integers that fit in `Int` stay integers; other
/// numbers are `Double`s.
public enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    /// Parses `text`. Duplicate keys in any object are an error (json-c would silently keep the
    /// last one). `source` names where the text came from, for error messages.
    public static func parse(_ text: String, source: String) throws -> JSON {
        let bytes = Array(text.utf8)
        try DuplicateKeyScanner.check(bytes, source: source)
        let document = try JSONCDocument(bytes: bytes, source: source)
        return withExtendedLifetime(document) { JSON(jsonC: document.root) }
    }

    /// Parses a JSON file.
    public static func parse(contentsOf path: String) throws -> JSON {
        let data = try FileBytes.read(path)
        guard let text = String(validating: data, as: UTF8.self) else {
            throw WeightIOError.invalidJSON(source: path, reason: "not valid UTF-8")
        }
        return try parse(text, source: path)
    }

    /// The value of a json-c object (`nil` is null), for code that reads a `JSONCDocument` directly.
    public init(jsonC object: OpaquePointer?) {
        self = Self.convert(object)
    }

    private static func convert(_ object: OpaquePointer?) -> JSON {
        guard let object else { return .null }
        switch json_object_get_type(object) {
        case json_type_null: return .null
        case json_type_boolean: return .bool(json_object_get_boolean(object) != 0)
        case json_type_int:
            let signed = json_object_get_int64(object)
            if signed == Int64.max, json_object_get_uint64(object) > UInt64(Int64.max) {
                return .double(Double(json_object_get_uint64(object)))
            }
            return .int(Int(signed))
        case json_type_double: return .double(json_object_get_double(object))
        case json_type_string:
            return .string(String(decoding: UnsafeRawBufferPointer(start: json_object_get_string(object),
                                                                   count: Int(json_object_get_string_len(object))), as: UTF8.self))
        case json_type_array:
            return .array((0..<json_object_array_length(object)).map { convert(json_object_array_get_idx(object, $0)) })
        case json_type_object:
            var result: [String: JSON] = [:]
            var iterator = json_object_iter_begin(object)
            var end = json_object_iter_end(object)
            while json_object_iter_equal(&iterator, &end) == 0 {
                result[String(cString: json_object_iter_peek_name(&iterator))] = convert(json_object_iter_peek_value(&iterator))
                json_object_iter_next(&iterator)
            }
            return .object(result)
        default: return .null
        }
    }

    /// Serialises the value (object keys sorted, so output is deterministic).
    public func serialized(pretty: Bool = false) -> String {
        let object = makeObject()
        defer { json_object_put(object) }
        let flags = pretty ? (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED) : JSON_C_TO_STRING_PLAIN
        return String(cString: json_object_to_json_string_ext(object, Int32(flags | JSON_C_TO_STRING_NOSLASHESCAPE)))
    }

    private func makeObject() -> OpaquePointer? {
        switch self {
        case .null: return nil
        case .bool(let b): return json_object_new_boolean(b ? 1 : 0)
        case .int(let i): return json_object_new_int64(Int64(i))
        case .double(let d):
            // The shortest text that reads back as the same double (`1e-05`, not json-c's
            // `1.0000000000000001e-05`); json-c's own form only for non-finite values.
            return d.isFinite ? json_object_new_double_s(d, "\(d)") : json_object_new_double(d)
        case .string(let s):
            let utf8 = Array(s.utf8)
            return utf8.withUnsafeBufferPointer { p in
                p.withMemoryRebound(to: CChar.self) { chars in
                    chars.count == 0 ? json_object_new_string("") : json_object_new_string_len(chars.baseAddress, Int32(chars.count))
                }
            }
        case .array(let items):
            let array = json_object_new_array()
            for item in items { json_object_array_add(array, item.makeObject()) }
            return array
        case .object(let members):
            let object = json_object_new_object()
            for key in members.keys.sorted() { json_object_object_add(object, key, members[key]!.makeObject()) }
            return object
        }
    }
}

extension JSON: CustomStringConvertible {
    public var description: String { serialized() }
}

@inline(__always)
func isJSONWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }
