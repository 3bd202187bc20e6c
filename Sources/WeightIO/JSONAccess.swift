/// Typed access into JSON by key path. Errors name the full path (`text_config.hidden_size`) and
/// what was found there.
extension JSON {
    /// The member `key` of an object, or `nil` (also `nil` for non-objects).
    public subscript(key: String) -> JSON? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The value at `path`, or `nil` if any step is missing or `null`.
    public func value(at path: [String]) -> JSON? {
        var current = self
        for key in path {
            guard let next = current[key], next != .null else { return nil }
            current = next
        }
        return current
    }

    /// A short name of the value's kind, for error messages.
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int: return "an integer"
        case .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// The value as `Int`, if it is an integer (or a float with an integral value).
    public var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9e15: return Int(d)
        default: return nil
        }
    }

    /// The value as `Double`, if it is a number.
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// The value as `String`, if it is a string.
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    /// The value as `Bool`, if it is a boolean.
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    /// The elements, if it is an array.
    public var arrayValue: [JSON]? { if case .array(let a) = self { return a } else { return nil } }
    /// The members, if it is an object.
    public var objectValue: [String: JSON]? { if case .object(let o) = self { return o } else { return nil } }

    private func typed<T>(_ path: [String], _ expected: String, _ cast: (JSON) -> T?) throws -> T? {
        // A step inside the path that is present but not an object is a type error (naming that
        // step), not an absent value: `{"text_config": 5}` has no `text_config.hidden_size`
        // because text_config is wrong, and silently falling back to a default would hide that.
        var current = self
        for (i, key) in path.enumerated() {
            if i > 0, current.objectValue == nil {
                throw WeightIOError.jsonField(path: path[..<i].joined(separator: "."), expected: "an object", found: current.kindName)
            }
            guard let next = current[key], next != .null else { return nil }
            current = next
        }
        let found = current
        guard let value = cast(found) else {
            throw WeightIOError.jsonField(path: path.joined(separator: "."), expected: expected, found: found.kindName)
        }
        return value
    }

    private func required<T>(_ path: [String], _ value: T?, _ expected: String) throws -> T {
        guard let value else {
            throw WeightIOError.jsonField(path: path.joined(separator: "."), expected: expected, found: "nothing")
        }
        return value
    }

    /// Optional integer at `path` (`nil` if absent or null; an error if present with another type).
    public func int(_ path: String...) throws -> Int? { try typed(path, "an integer", \.intValue) }
    /// Optional number at `path`.
    public func double(_ path: String...) throws -> Double? { try typed(path, "a number", \.doubleValue) }
    /// Optional string at `path`.
    public func string(_ path: String...) throws -> String? { try typed(path, "a string", \.stringValue) }
    /// Optional boolean at `path`.
    public func bool(_ path: String...) throws -> Bool? { try typed(path, "a boolean", \.boolValue) }
    /// Optional array at `path`.
    public func array(_ path: String...) throws -> [JSON]? { try typed(path, "an array", \.arrayValue) }
    /// Optional object at `path`.
    public func object(_ path: String...) throws -> [String: JSON]? { try typed(path, "an object", \.objectValue) }

    /// Required integer at `path`.
    public func requireInt(_ path: String...) throws -> Int { try required(path, typed(path, "an integer", \.intValue), "an integer") }
    /// Required string at `path`.
    public func requireString(_ path: String...) throws -> String { try required(path, typed(path, "a string", \.stringValue), "a string") }
    /// Required object at `path`.
    public func requireObject(_ path: String...) throws -> [String: JSON] { try required(path, typed(path, "an object", \.objectValue), "an object") }
    /// Required array at `path`.
    public func requireArray(_ path: String...) throws -> [JSON] { try required(path, typed(path, "an array", \.arrayValue), "an array") }
}
