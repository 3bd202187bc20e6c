import CJSON

/// Finds duplicate keys in JSON objects before json-c parses them (json-c keeps the last value of
/// a repeated key silently; a safetensors header or an index that names a tensor twice must be
/// refused). The scan only tracks strings and nesting; json-c still validates the syntax. It also
/// refuses what json-c (0.16) accepts even in strict mode but JSON does not: a `'` outside strings
/// (single-quoted strings) and raw control characters inside strings.
enum DuplicateKeyScanner {
    static func check(_ bytes: [UInt8], source: String) throws {
        // One entry per open container: the keys seen so far, or nil for arrays.
        var stack: [Set<[UInt8]>?] = []  // keys as UTF-8 bytes: Swift's String equality would merge "é" and "e\u{301}"
        var expectingKey = false
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            switch byte {
            case UInt8(ascii: "{"): stack.append([]); expectingKey = true
            case UInt8(ascii: "["): stack.append(nil); expectingKey = false
            case UInt8(ascii: "}"), UInt8(ascii: "]"): _ = stack.popLast(); expectingKey = false
            case UInt8(ascii: ","): expectingKey = stack.last.map { $0 != nil } ?? false
            case UInt8(ascii: "'"):
                // json-c accepts single-quoted strings even in strict mode; JSON does not.
                throw WeightIOError.invalidJSON(source: source, reason: "single-quoted string at byte \(i)")
            case UInt8(ascii: "\""):
                let start = i
                i += 1
                var escaped = false
                while i < bytes.count && bytes[i] != UInt8(ascii: "\"") {
                    if bytes[i] < 0x20 {
                        // json-c accepts raw control characters in strings; JSON requires escapes.
                        throw WeightIOError.invalidJSON(source: source, reason: "unescaped control character 0x\(String(bytes[i], radix: 16)) in a string at byte \(i)")
                    }
                    if bytes[i] == UInt8(ascii: "\\") { escaped = true; i += 1 }
                    i += 1
                }
                guard i < bytes.count else { return }  // unterminated: json-c reports it
                if expectingKey, var keys = stack.last ?? nil {
                    let raw = Array(bytes[start...i])
                    let key = escaped ? decodeEscapedString(raw) : Array(raw.dropFirst().dropLast())
                    guard keys.insert(key).inserted else {
                        throw WeightIOError.duplicateKey(source: source, key: String(decoding: key, as: UTF8.self))
                    }
                    stack[stack.count - 1] = keys
                    expectingKey = false
                }
            default: break
            }
            i += 1
        }
    }

    /// Decodes a quoted JSON string with escapes (to UTF-8 bytes) by asking json-c.
    private static func decodeEscapedString(_ quoted: [UInt8]) -> [UInt8] {
        guard let object = json_tokener_parse(String(decoding: quoted, as: UTF8.self)) else { return quoted }
        defer { json_object_put(object) }
        return Array(UnsafeRawBufferPointer(start: json_object_get_string(object), count: Int(json_object_get_string_len(object))))
    }
}
