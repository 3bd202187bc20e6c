/// Problems building or running a model: bad configs and token ids. Weight problems (missing
/// tensor, wrong shape) are `WeightIOError`s naming the tensor.
public enum TransformerError: Error, CustomStringConvertible, Equatable {
    case invalidConfig(source: String, field: String, reason: String)
    case tokenOutOfRange(id: Int, vocabularySize: Int)
    case unsupported(String)

    public var description: String {
        switch self {
        case let .invalidConfig(source, field, reason): return "\(source): config field '\(field)': \(reason)"
        case let .tokenOutOfRange(id, size): return "token id \(id) is outside the vocabulary (0..<\(size))"
        case .unsupported(let what): return "unsupported: \(what)"
        }
    }
}
