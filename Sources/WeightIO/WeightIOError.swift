/// Everything that can go wrong reading or writing weights and JSON. Each case names the file,
/// tensor or field and what was expected; `description` is one line for the CLI.
public indirect enum WeightIOError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    case truncated(path: String, detail: String)
    case headerTooLarge(path: String, length: UInt64, limit: Int)
    case headerBeyondFile(path: String, headerLength: UInt64, fileSize: Int)
    case invalidHeader(path: String, reason: String)
    case unknownDType(path: String, tensor: String, dtype: String)
    case shapeOverflow(path: String, tensor: String, shape: [Int])
    case byteCountMismatch(path: String, tensor: String, expected: Int, actual: Int)
    case layoutGapOrOverlap(path: String, tensor: String, expectedBegin: Int, actualBegin: Int)
    case dataSizeMismatch(path: String, dataEnd: Int, dataAreaSize: Int)
    case zip(path: String, problem: ZipProblem)
    case torch(path: String, problem: TorchProblem)
    case invalidJSON(source: String, reason: String)
    case duplicateKey(source: String, key: String)
    case jsonField(path: String, expected: String, found: String)
    case inFile(path: String, underlying: WeightIOError)
    case missingTensor(name: String, source: String)
    case wrongShape(tensor: String, expected: [Int], actual: [Int], source: String)
    case notFloat(tensor: String, dtype: String)
    case badIndex(path: String, reason: String)
    case unsafeShardName(path: String, shard: String)
    case missingShard(path: String, shard: String)
    case tensorInTwoShards(tensor: String, first: String, second: String)
    case noWeights(path: String)
    case writeFailed(path: String, reason: String)

    /// One line: control characters (a newline in a tensor name, say) are shown escaped.
    public var description: String {
        var line = ""
        for scalar in rawDescription.unicodeScalars {
            switch scalar {
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value)
                || scalar == "\u{2028}" || scalar == "\u{2029}":
                line += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: line.unicodeScalars.append(scalar)
            }
        }
        return line
    }

    private var rawDescription: String {
        switch self {
        case let .cannotOpen(path, reason): return "\(path): cannot open: \(reason)"
        case let .truncated(path, detail): return "\(path): truncated safetensors file: \(detail)"
        case let .headerTooLarge(path, length, limit): return "\(path): header length \(length) exceeds the limit of \(limit) bytes"
        case let .headerBeyondFile(path, length, size): return "\(path): header length \(length) runs past the end of the \(size)-byte file"
        case let .invalidHeader(path, reason): return "\(path): invalid safetensors header: \(reason)"
        case let .unknownDType(path, tensor, dtype): return "\(path): tensor '\(tensor)' has unknown dtype '\(dtype)'"
        case let .shapeOverflow(path, tensor, shape): return "\(path): tensor '\(tensor)' shape \(shape) overflows the byte count"
        case let .byteCountMismatch(path, tensor, expected, actual):
            return "\(path): tensor '\(tensor)' needs \(expected) bytes for its shape and dtype but its offsets span \(actual)"
        case let .layoutGapOrOverlap(path, tensor, expected, actual):
            return "\(path): tensor '\(tensor)' starts at data offset \(actual), expected \(expected) (" + (actual > expected ? "gap" : "overlap") + " in the data area)"
        case let .dataSizeMismatch(path, end, size): return "\(path): tensors end at data offset \(end) but the data area holds \(size) bytes"
        case let .invalidJSON(source, reason): return "\(source): invalid JSON: \(reason)"
        case let .duplicateKey(source, key): return "\(source): duplicate key '\(key)'"
        case let .jsonField(path, expected, found): return "field '\(path)': expected \(expected), found \(found)"
        case let .inFile(path, underlying): return "\(path): \(underlying)"
        case let .missingTensor(name, source): return "\(source): missing tensor '\(name)'"
        case let .wrongShape(tensor, expected, actual, source): return "\(source): tensor '\(tensor)' has shape \(actual), expected \(expected)"
        case let .notFloat(tensor, dtype): return "tensor '\(tensor)' has dtype \(dtype); expected F32, F16 or BF16"
        case let .badIndex(path, reason): return "\(path): invalid index: \(reason)"
        case let .unsafeShardName(path, shard): return "\(path): shard name '\(shard)' is not a bare file name"
        case let .missingShard(path, shard): return "\(path): shard '\(shard)' does not exist"
        case let .tensorInTwoShards(tensor, first, second): return "tensor '\(tensor)' is stored in two shards: \(first) and \(second)"
        case let .noWeights(path): return "\(path): no weights found (expected model.safetensors, model.safetensors.index.json, *.safetensors, pytorch_model.bin.index.json or pytorch_model.bin)"
        case let .writeFailed(path, reason): return "\(path): write failed: \(reason)"
        case let .zip(path, problem): return "\(path): \(problem)"
        case let .torch(path, problem): return "\(path): PyTorch checkpoint: \(problem)"
        }
    }
}

extension WeightIOError {
    /// The result of `read`, with a `WeightIOError` it throws wrapped in `.inFile(path:underlying:)`
    /// so that a field error (`text_config.hidden_size: expected an integer`) names its file.
    public static func inFile<T>(_ path: String, _ read: () throws -> T) rethrows -> T {
        do { return try read() } catch let error as WeightIOError { throw WeightIOError.inFile(path: path, underlying: error) }
    }
}
