import Tensors

/// What is wrong with a PyTorch checkpoint (carried by `WeightIOError.torch`, which names the file).
public enum TorchProblem: Sendable, Equatable, CustomStringConvertible {
    /// A pre-1.6 (non-zip, or tar) `torch.save` file.
    case legacyFormat
    /// A record the format requires (`<archive>/data.pkl`) is absent.
    case missingRecord(String)
    /// The `byteorder` record says something other than `little`.
    case unsupportedByteOrder(String)
    /// The pickle names a global outside the allow-list (nothing is ever called).
    case disallowedGlobal(String)
    /// The pickle uses an opcode this restricted unpickler does not implement.
    case unsupportedOpcode(opcode: UInt8, offset: Int)
    /// The pickle is malformed at byte `offset`.
    case malformedPickle(offset: Int, detail: String)
    /// The pickle's value is not a dictionary of tensors.
    case notAStateDict(found: String)
    /// A state-dict entry is not a string key with a tensor value.
    case notATensor(key: String, found: String)
    /// A tensor's storage record `<archive>/data/<key>` is absent.
    case missingStorage(key: String, record: String)
    /// A storage record's size disagrees with the element count and dtype the pickle gives it.
    case storageSize(key: String, expectedBytes: Int?, actualBytes: Int)
    /// One storage is used with two dtypes.
    case storageDTypeConflict(key: String, first: DType, second: DType)
    /// A tensor's offset, sizes and strides reach outside its storage (or overflow).
    case tensorOutOfBounds(tensor: String, detail: String)

    public var description: String {
        switch self {
        case .legacyFormat:
            return "unsupported legacy PyTorch format (not a zip archive; re-save it with torch >= 1.6 or convert to safetensors)"
        case let .missingRecord(name): return "missing record '\(name)'"
        case let .unsupportedByteOrder(order): return "unsupported byte order '\(order)' (only little-endian checkpoints are supported)"
        case let .disallowedGlobal(name): return "pickle refers to global '\(name)', which is not allowed in a state dict"
        case let .unsupportedOpcode(opcode, offset):
            return "pickle opcode 0x" + String(opcode, radix: 16) + " at byte \(offset) is not supported"
        case let .malformedPickle(offset, detail): return "malformed pickle at byte \(offset): \(detail)"
        case let .notAStateDict(found): return "the pickle holds \(found), expected a dictionary of tensors"
        case let .notATensor(key, found): return "state dict entry '\(key)' is \(found), expected a tensor"
        case let .missingStorage(key, record): return "storage '\(key)' has no record '\(record)'"
        case let .storageSize(key, expected, actual):
            return "storage '\(key)' record holds \(actual) bytes, expected " + (expected.map(String.init) ?? "more than Int.max")
        case let .storageDTypeConflict(key, first, second):
            return "storage '\(key)' is used as both \(first.rawValue) and \(second.rawValue)"
        case let .tensorOutOfBounds(tensor, detail): return "tensor '\(tensor)': \(detail)"
        }
    }
}
