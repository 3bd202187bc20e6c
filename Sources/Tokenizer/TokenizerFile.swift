import CJSON
import Foundation
import WeightIO

/// `tokenizer.json` as parsed by json-c.
///
/// WeightIO's `JSON` keeps objects as `[String: JSON]`, and Swift compares `String`s by canonical
/// equivalence: "▁café" spelled with U+00E9 and with "e" + U+0301 are one key there (and
/// WeightIO's duplicate-key check rejects the file). Real vocabularies hold such pairs as two
/// different tokens, so the vocabulary and the merges are read from json-c byte for byte; only
/// the small sections (normalizer, decoder, …) are converted to `JSON`.
final class TokenizerFile {
    let path: String
    /// Owns `root`.
    private let document: JSONCDocument
    private let root: OpaquePointer

    init(path: String) throws(TokenizerError) {
        let bytes = try TokenizerError.reading(path)
        do {
            document = try JSONCDocument(bytes: bytes, source: path)
        } catch {
            throw .reading(error, path: path)
        }
        guard let parsed = document.root, json_object_get_type(parsed) == json_type_object else {
            throw .invalidJSON(path: path, reason: "the top level is not an object")
        }
        self.path = path
        self.root = parsed
    }

    /// The top-level member `key` converted to `JSON` (`nil` if absent or `null`).
    func section(_ key: String) -> JSONNode? {
        guard let object = Self.member(root, key) else { return nil }
        return JSONNode(JSON(jsonC: object), file: path, path: key)
    }

    /// The `model` section without its `vocab` and `merges` (which `vocabulary()` and `merges()`
    /// read byte for byte).
    func modelSettings() throws(TokenizerError) -> JSONNode {
        guard let model = Self.member(root, "model") else { throw .missingField(path: path, field: "model") }
        guard json_object_get_type(model) == json_type_object else {
            throw .wrongType(path: path, field: "model", expected: "an object", found: Self.kindName(model))
        }
        var members: [String: JSON] = [:]
        Self.forEachMember(model) { key, value in
            let name = String(decoding: key, as: UTF8.self)
            if name != "vocab" && name != "merges" { members[name] = JSON(jsonC: value) }
        }
        return JSONNode(.object(members), file: path, path: "model")
    }

    /// `model.vocab`: every (token bytes, id) pair, in file order.
    func vocabulary() throws(TokenizerError) -> [(token: [UInt8], id: Int)] {
        guard let model = Self.member(root, "model"), let vocab = Self.member(model, "vocab") else {
            throw .missingField(path: path, field: "model.vocab")
        }
        guard json_object_get_type(vocab) == json_type_object else {
            throw .wrongType(path: path, field: "model.vocab", expected: "an object of token → id", found: Self.kindName(vocab))
        }
        var entries: [(token: [UInt8], id: Int)] = []
        entries.reserveCapacity(Int(json_object_object_length(vocab)))
        var bad: (token: String, found: String)?
        Self.forEachMember(vocab) { key, value in
            guard json_object_get_type(value) == json_type_int else {
                if bad == nil { bad = (String(decoding: key, as: UTF8.self), Self.kindName(value)) }
                return
            }
            entries.append((Array(key), Int(json_object_get_int64(value))))
        }
        if let bad {
            throw .wrongType(path: path, field: "model.vocab[\"\(bad.token)\"]", expected: "an integer id", found: bad.found)
        }
        return entries
    }

    /// `model.merges`, accepting both forms: `"a b"` strings and `["a", "b"]` pairs.
    func merges() throws(TokenizerError) -> [(left: [UInt8], right: [UInt8])] {
        guard let model = Self.member(root, "model"), let merges = Self.member(model, "merges") else {
            throw .missingField(path: path, field: "model.merges")
        }
        guard json_object_get_type(merges) == json_type_array else {
            throw .wrongType(path: path, field: "model.merges", expected: "an array", found: Self.kindName(merges))
        }
        let count = json_object_array_length(merges)
        var result: [(left: [UInt8], right: [UInt8])] = []
        result.reserveCapacity(count)
        for i in 0..<count {
            let item = json_object_array_get_idx(merges, i)
            let field = "model.merges[\(i)]"
            switch json_object_get_type(item) {
            case json_type_string:
                let line = Self.stringBytes(item)
                // tokenizers drops "#version" header lines (and ranks the rest after dropping them).
                if line.starts(with: Array("#version".utf8)) { continue }
                // tokenizers splits the legacy form on every space and wants exactly two parts.
                let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw .invalidValue(path: path, field: field, reason: "expected \"left right\" (one space), found '\(String(decoding: line, as: UTF8.self))'")
                }
                result.append((Array(parts[0]), Array(parts[1])))
            case json_type_array:
                guard json_object_array_length(item) == 2,
                      let left = json_object_array_get_idx(item, 0), json_object_get_type(left) == json_type_string,
                      let right = json_object_array_get_idx(item, 1), json_object_get_type(right) == json_type_string else {
                    throw .invalidValue(path: path, field: field, reason: "expected a pair of strings")
                }
                result.append((Self.stringBytes(left), Self.stringBytes(right)))
            default:
                throw .wrongType(path: path, field: field, expected: "a string or a pair of strings", found: Self.kindName(item))
            }
        }
        return result
    }

    // MARK: - json-c helpers

    private static func member(_ object: OpaquePointer, _ key: String) -> OpaquePointer? {
        var value: OpaquePointer?
        guard json_object_object_get_ex(object, key, &value) != 0, let value, json_object_get_type(value) != json_type_null else { return nil }
        return value
    }

    private static func stringBytes(_ object: OpaquePointer?) -> [UInt8] {
        guard let start = json_object_get_string(object) else { return [] }
        return Array(UnsafeRawBufferPointer(start: start, count: Int(json_object_get_string_len(object))))
    }

    /// Calls `body` with each member's key (its exact bytes) and value.
    private static func forEachMember(_ object: OpaquePointer, _ body: (UnsafeBufferPointer<UInt8>, OpaquePointer?) -> Void) {
        var iterator = json_object_iter_begin(object)
        var end = json_object_iter_end(object)
        while json_object_iter_equal(&iterator, &end) == 0 {
            if let name = json_object_iter_peek_name(&iterator) {
                name.withMemoryRebound(to: UInt8.self, capacity: strlen(name)) { key in
                    body(UnsafeBufferPointer(start: key, count: strlen(name)), json_object_iter_peek_value(&iterator))
                }
            }
            json_object_iter_next(&iterator)
        }
    }

    private static func kindName(_ object: OpaquePointer?) -> String { JSON(jsonC: object).kindName }
}
