import WeightIO

/// Typed reads of a GGUF file's metadata for the tokenizer: each value of the expected type, or a
/// `TokenizerError` naming the file and the key (`missingField` for a required key that is absent,
/// `wrongType` with the GGUF type found). Strings come back as their UTF-8 bytes.
struct GGUFMetadataReader {
    let file: GGUFFile

    private func value(_ key: String, required: Bool) throws(TokenizerError) -> GGUFValue? {
        guard let value = file[key] else {
            if required { throw .missingField(path: file.path, field: key) }
            return nil
        }
        return value
    }

    private func wrongType(_ key: String, _ expected: String, _ value: GGUFValue) -> TokenizerError {
        .wrongType(path: file.path, field: key, expected: expected, found: value.typeName)
    }

    /// A string value.
    func string(_ key: String, required: Bool = false) throws(TokenizerError) -> String? {
        guard let value = try value(key, required: required) else { return nil }
        guard let string = value.stringValue else { throw wrongType(key, "a string", value) }
        return string
    }

    /// A bool value.
    func bool(_ key: String) throws(TokenizerError) -> Bool? {
        guard let value = try value(key, required: false) else { return nil }
        guard case let .bool(flag) = value else { throw wrongType(key, "a bool", value) }
        return flag
    }

    /// A value of any integer type.
    func integer(_ key: String) throws(TokenizerError) -> Int? {
        guard let value = try value(key, required: false) else { return nil }
        guard let number = value.intValue else { throw wrongType(key, "an integer", value) }
        return number
    }

    /// A required array of strings.
    func strings(_ key: String) throws(TokenizerError) -> [[UInt8]] {
        try optionalStrings(key, required: true)!
    }

    /// An array of strings, if present.
    func optionalStrings(_ key: String, required: Bool = false) throws(TokenizerError) -> [[UInt8]]? {
        guard let value = try value(key, required: required) else { return nil }
        guard case let .array(type, elements) = value, type == 8 else { throw wrongType(key, "array[string]", value) }
        return elements.map { Array(($0.stringValue ?? "").utf8) }
    }

    /// A required array of floating-point numbers (float32 or float64).
    func floats(_ key: String) throws(TokenizerError) -> [Float] {
        let value = try value(key, required: true)!
        guard case let .array(type, elements) = value, type == 6 || type == 12 else { throw wrongType(key, "array[float32]", value) }
        return elements.map { Float($0.doubleValue ?? 0) }
    }

    /// An array of integers (any integer element type), if present.
    func optionalIntegers(_ key: String) throws(TokenizerError) -> [Int]? {
        guard let value = try value(key, required: false) else { return nil }
        guard case let .array(type, _) = value, [0, 1, 2, 3, 4, 5, 10, 11].contains(type) else {
            throw wrongType(key, "array[int32]", value)
        }
        do {
            return try file.integers(key)
        } catch {
            throw wrongType(key, "array[int32] of values that fit an Int", value)
        }
    }
}
