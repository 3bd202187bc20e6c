import WeightIO

/// A value inside a request body together with its path (`messages[1].content`), so that every
/// type error names the field it is about.
struct RequestField {
    let value: JSON
    let path: String

    /// The member `key` (nil when absent or null).
    func member(_ key: String) -> RequestField? {
        guard let member = value[key], member != .null else { return nil }
        return RequestField(value: member, path: path.isEmpty ? key : path + "." + key)
    }

    func string() throws(APIError) -> String {
        guard let string = value.stringValue else { throw wrongType("a string") }
        return string
    }

    func bool() throws(APIError) -> Bool {
        guard let bool = value.boolValue else { throw wrongType("a boolean") }
        return bool
    }

    func int() throws(APIError) -> Int {
        guard case .int(let int) = value else { throw wrongType("an integer") }
        return int
    }

    func number() throws(APIError) -> Double {
        guard let number = value.doubleValue else { throw wrongType("a number") }
        return number
    }

    /// The elements, each with its index in the path.
    func array() throws(APIError) -> [RequestField] {
        guard let items = value.arrayValue else { throw wrongType("an array") }
        return items.enumerated().map { RequestField(value: $1, path: "\(path)[\($0)]") }
    }

    func requireObject() throws(APIError) {
        guard value.objectValue != nil else { throw wrongType("an object") }
    }

    /// The required member `key`.
    func require(_ key: String) throws(APIError) -> RequestField {
        guard let member = member(key) else {
            throw .invalidRequest("missing required parameter '\(path.isEmpty ? key : path + "." + key)'",
                                  param: path.isEmpty ? key : path + "." + key, code: "missing_required_parameter")
        }
        return member
    }

    /// A 400 naming this field.
    func invalid(_ reason: String, code: String = "invalid_value") -> APIError {
        .invalidRequest("'\(path)': \(reason)", param: path, code: code)
    }

    private func wrongType(_ expected: String) -> APIError {
        invalid("expected \(expected), found \(value.kindName)", code: "invalid_type")
    }
}
