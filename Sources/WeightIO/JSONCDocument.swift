import CJSON

/// A document parsed by json-c in strict mode with UTF-8 validation, owning its root object.
/// `JSON.parse` converts it to `JSON`; code that needs json-c's byte-exact keys (the tokenizer's
/// vocabulary) reads `root` directly. Anything after the value other than JSON whitespace is an
/// error.
public final class JSONCDocument {
    /// The root json-c object (`nil` for a top-level `null`), valid while the document lives.
    public let root: OpaquePointer?

    /// Parses `bytes`; `source` names where they came from, for error messages.
    public init(bytes: [UInt8], source: String) throws(WeightIOError) {
        guard bytes.count < Int(Int32.max) else { throw .invalidJSON(source: source, reason: "larger than 2 GiB") }
        guard let tokener = json_tokener_new() else { throw .invalidJSON(source: source, reason: "out of memory") }
        defer { json_tokener_free(tokener) }
        json_tokener_set_flags(tokener, Int32(JSON_TOKENER_STRICT) | Int32(JSON_TOKENER_VALIDATE_UTF8))
        let terminated = bytes + [0]
        // The length passed includes the terminating NUL: json-c needs to see a character after a
        // top-level number or literal (`123`, `true`) to know it has ended, and otherwise reports
        // "continue" (unexpected end of input) for such documents.
        let parsed: OpaquePointer? = terminated.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                json_tokener_parse_ex(tokener, chars.baseAddress, Int32(buffer.count))
            }
        }
        let status = json_tokener_get_error(tokener)
        guard status == json_tokener_success else {
            let reason = status == json_tokener_continue ? "unexpected end of input" : String(cString: json_tokener_error_desc(status))
            throw .invalidJSON(source: source, reason: "\(reason) at byte \(json_tokener_get_parse_end(tokener))")
        }
        let end = Int(json_tokener_get_parse_end(tokener))
        if let junk = bytes[min(end, bytes.count)...].first(where: { !isJSONWhitespace($0) }) {
            json_object_put(parsed)
            let shown = (0x21...0x7E).contains(junk) ? "'\(String(UnicodeScalar(junk)))'" : "byte 0x" + String(junk, radix: 16)
            throw .invalidJSON(source: source, reason: "unexpected \(shown) after the value at byte \(end)")
        }
        root = parsed
    }

    deinit { json_object_put(root) }
}
