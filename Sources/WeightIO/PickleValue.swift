/// A value on the restricted unpickler's stack. Lists and dictionaries are reference types, as in
/// Python (the memo shares them and SETITEMS mutates them in place). A tuple records how deeply
/// tuples nest inside it, so that the unpickler can bound it (releasing a value nested a million
/// levels deep would overflow the call stack).
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case tuple([PickleValue], depth: Int)
    case list(PickleList)
    case dict(PickleDict)
    case global(TorchGlobal)
    case storage(TorchStorageRef)
    case tensor(TorchTensorArguments)

    /// A tuple of `items`, whose depth is one more than the deepest tuple among them.
    static func tuple(_ items: [PickleValue]) -> PickleValue {
        let inner = items.reduce(0) { deepest, item in
            if case let .tuple(_, depth) = item { return max(deepest, depth) }
            return deepest
        }
        return .tuple(items, depth: inner + 1)
    }

    /// A short name of the value's kind, for error messages.
    var kindName: String {
        switch self {
        case .none: return "None"
        case .bool: return "a bool"
        case .int: return "an int"
        case .float: return "a float"
        case .string: return "a string"
        case let .tuple(items, _): return "a \(items.count)-tuple"
        case .list: return "a list"
        case .dict: return "a dict"
        case .global: return "a global"
        case .storage: return "a storage"
        case .tensor: return "a tensor"
        }
    }
}

/// A dictionary key: the hashable values a state dict uses.
enum PickleKey: Hashable {
    case string(String)
    case int(Int)
}

/// A mutable list (`EMPTY_LIST`, `APPEND`, `APPENDS`).
final class PickleList {
    var items: [PickleValue] = []
}

/// A mutable dictionary that keeps insertion order (`dict` and `OrderedDict` alike).
final class PickleDict {
    private(set) var keys: [PickleKey] = []
    private(set) var values: [PickleKey: PickleValue] = [:]

    /// Inserts or replaces `key` (a replaced key keeps its position, as in Python).
    func set(_ key: PickleKey, _ value: PickleValue) {
        if values.updateValue(value, forKey: key) == nil { keys.append(key) }
    }

    /// Whether `key` is present.
    func contains(_ key: PickleKey) -> Bool { values[key] != nil }

    /// Drops everything (breaks reference cycles a crafted pickle may have built).
    func removeAll() {
        keys = []
        values = [:]
    }
}
