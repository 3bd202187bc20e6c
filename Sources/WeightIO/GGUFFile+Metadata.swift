/// Typed reads of a GGUF file's metadata for model adapters: each value of the expected type, or
/// a `GGUFError` naming the file and the key (absent required keys, values of another type,
/// numbers out of range).
extension GGUFFile {
    private func wrongType(_ key: String, _ expected: String, _ value: GGUFValue) -> GGUFError {
        GGUFError(path: path, problem: "metadata \(key) is \(value.typeName), expected \(expected)")
    }

    private func required<T>(_ key: String, _ value: T?) throws(GGUFError) -> T {
        guard let value else { throw GGUFError(path: path, problem: "metadata \(key) is missing") }
        return value
    }

    /// A string value, if present.
    public func string(_ key: String) throws(GGUFError) -> String? {
        guard let value = self[key] else { return nil }
        guard let text = value.stringValue else { throw wrongType(key, "a string", value) }
        return text
    }

    /// A required string value.
    public func requiredString(_ key: String) throws(GGUFError) -> String { try required(key, try string(key)) }

    /// A value of any integer type, if present.
    public func integer(_ key: String) throws(GGUFError) -> Int? {
        guard let value = self[key] else { return nil }
        guard let number = value.intValue else { throw wrongType(key, "an integer", value) }
        return number
    }

    /// A required positive integer.
    public func positiveInteger(_ key: String) throws(GGUFError) -> Int {
        let number = try required(key, try integer(key))
        guard number > 0 else { throw GGUFError(path: path, problem: "metadata \(key) is \(number), expected a positive integer") }
        return number
    }

    /// A floating-point value (float32 or float64), if present.
    public func number(_ key: String) throws(GGUFError) -> Double? {
        guard let value = self[key] else { return nil }
        guard let number = value.doubleValue else { throw wrongType(key, "a float", value) }
        return number
    }

    /// A bool value, if present.
    public func bool(_ key: String) throws(GGUFError) -> Bool? {
        guard let value = self[key] else { return nil }
        guard case .bool(let flag) = value else { throw wrongType(key, "a bool", value) }
        return flag
    }

    /// An array of integers (any integer element type), if present.
    public func integers(_ key: String) throws(GGUFError) -> [Int]? {
        try array(key, "an array of integers") { $0.intValue }
    }

    /// An array of floating-point numbers (float32 or float64 elements), if present.
    public func numbers(_ key: String) throws(GGUFError) -> [Double]? {
        try array(key, "an array of floats") { $0.doubleValue }
    }

    /// An array whose every element `element` reads, if present.
    private func array<T>(_ key: String, _ expected: String, _ element: (GGUFValue) -> T?) throws(GGUFError) -> [T]? {
        guard let value = self[key] else { return nil }
        guard let elements = value.arrayValue else { throw wrongType(key, expected, value) }
        var values: [T] = []
        values.reserveCapacity(elements.count)
        for item in elements {
            guard let read = element(item) else { throw wrongType(key, expected, value) }
            values.append(read)
        }
        return values
    }
}
