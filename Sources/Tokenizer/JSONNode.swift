import WeightIO

/// A JSON value inside a file, with its dotted path, so that every error names the file and the
/// field (`tokenizer.json: field 'decoder.decoders[2].start': expected an integer, found a string`).
struct JSONNode {
    let value: JSON
    /// The file the value came from.
    let file: String
    /// The dotted path of the value inside the file (empty for the root).
    let path: String

    init(_ value: JSON, file: String, path: String = "") {
        self.value = value
        self.file = file
        self.path = path
    }

    func fieldPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The member `key` (`nil` if absent or `null`).
    func member(_ key: String) -> JSONNode? {
        guard let found = value[key], found != .null else { return nil }
        return JSONNode(found, file: file, path: fieldPath(key))
    }

    func require(_ key: String) throws(TokenizerError) -> JSONNode {
        guard let node = member(key) else { throw .missingField(path: file, field: fieldPath(key)) }
        return node
    }

    private func wrongType(_ expected: String) -> TokenizerError {
        .wrongType(path: file, field: path, expected: expected, found: value.kindName)
    }

    var asString: String { get throws(TokenizerError) {
        guard let s = value.stringValue else { throw wrongType("a string") }
        return s
    } }

    var asBool: Bool { get throws(TokenizerError) {
        guard let b = value.boolValue else { throw wrongType("a boolean") }
        return b
    } }

    var asInt: Int { get throws(TokenizerError) {
        guard let i = value.intValue else { throw wrongType("an integer") }
        return i
    } }

    var asDouble: Double { get throws(TokenizerError) {
        guard let d = value.doubleValue else { throw wrongType("a number") }
        return d
    } }

    var asArray: [JSONNode] { get throws(TokenizerError) {
        guard let items = value.arrayValue else { throw wrongType("an array") }
        var nodes: [JSONNode] = []
        nodes.reserveCapacity(items.count)
        for (i, item) in items.enumerated() { nodes.append(JSONNode(item, file: file, path: "\(path)[\(i)]")) }
        return nodes
    } }

    var isObject: Bool { value.objectValue != nil }

    /// The object's keys, sorted (for deterministic error messages).
    var keys: [String] { get throws(TokenizerError) {
        guard let members = value.objectValue else { throw wrongType("an object") }
        return members.keys.sorted()
    } }

    func string(_ key: String) throws(TokenizerError) -> String? { try member(key)?.asString }
    func bool(_ key: String) throws(TokenizerError) -> Bool? { try member(key)?.asBool }
    func int(_ key: String) throws(TokenizerError) -> Int? { try member(key)?.asInt }

    /// The `"type"` member every tokenizer.json component carries.
    func componentType() throws(TokenizerError) -> String { try require("type").asString }

    /// A one-character string (Metaspace's `replacement`, Strip's `content`).
    func character(_ key: String) throws(TokenizerError) -> Unicode.Scalar {
        let text = try require(key).asString
        var scalars = text.unicodeScalars.makeIterator()
        guard let scalar = scalars.next(), scalars.next() == nil else {
            throw .invalidValue(path: file, field: fieldPath(key), reason: "expected a single character, found '\(text)'")
        }
        return scalar
    }

    /// A `Replace` pattern: `{"String": "…"}` is supported, `{"Regex": "…"}` is not.
    func stringPattern(_ key: String) throws(TokenizerError) -> [UInt8] {
        let pattern = try require(key)
        if let literal = try pattern.string("String") {
            guard !literal.isEmpty else {
                throw .unsupported(path: file, field: pattern.fieldPath("String"), value: "an empty pattern")
            }
            return Array(literal.utf8)
        }
        if let regex = try pattern.string("Regex") {
            throw .unsupported(path: file, field: pattern.fieldPath("Regex"), value: "regular-expression pattern '\(regex)' (only String patterns are implemented)")
        }
        throw .invalidValue(path: file, field: pattern.path, reason: "expected {\"String\": …} or {\"Regex\": …}")
    }
}

extension JSONNode {
    /// Parses a small JSON file (tokenizer_config.json, special_tokens_map.json) with WeightIO's
    /// `JSON`, turning its errors into `TokenizerError`s that name the file.
    static func load(path: String) throws(TokenizerError) -> JSONNode {
        do {
            return JSONNode(try JSON.parse(contentsOf: path), file: path)
        } catch let error as WeightIOError {
            throw .reading(error, path: path)
        } catch {
            throw .invalidJSON(path: path, reason: "\(error)")
        }
    }
}
