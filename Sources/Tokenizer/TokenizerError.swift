import WeightIO

/// Everything that can go wrong loading a tokenizer. Each case names the file and the field (a
/// dotted path such as `normalizer.normalizers[1].type`, or `trainer_spec.model_type` in a
/// SentencePiece model) and what was found there; `description` is one line for the CLI.
public enum TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be read (missing, unreadable).
    case cannotRead(path: String, reason: String)
    /// The file is not valid JSON (or not valid UTF-8).
    case invalidJSON(path: String, reason: String)
    /// A folder holds neither `tokenizer.json` nor `tokenizer.model`.
    case noTokenizerFile(folder: String)
    /// A SentencePiece `tokenizer.model` is not a well-formed ModelProto (truncated, corrupt, or
    /// not a protobuf at all); `reason` gives the byte offset and the field.
    case invalidSentencePieceModel(path: String, reason: String)
    /// A required field is absent or `null`.
    case missingField(path: String, field: String)
    /// A field has the wrong JSON type.
    case wrongType(path: String, field: String, expected: String, found: String)
    /// The file uses something this module does not implement (another model type, a normalizer
    /// or pre-tokenizer kind, a regex pattern, truncation …). Nothing is ever silently ignored.
    case unsupported(path: String, field: String, value: String)
    /// A field has a value that cannot be right (a merge naming a token that is not in the
    /// vocabulary, two tokens with one id, …).
    case invalidValue(path: String, field: String, reason: String)
    /// Expanded prompt ids whose image-token runs do not hold the images' token counts.
    case imageTokenCount(found: Int, expected: Int)

    public var description: String {
        switch self {
        case let .cannotRead(path, reason): return "\(path): cannot read: \(reason)"
        case let .invalidJSON(path, reason): return "\(path): invalid JSON: \(reason)"
        case let .noTokenizerFile(folder): return "\(folder): neither tokenizer.json nor tokenizer.model in this folder"
        case let .invalidSentencePieceModel(path, reason): return "\(path): not a valid SentencePiece model: \(reason)"
        case let .missingField(path, field): return "\(path): missing field '\(field)'"
        case let .wrongType(path, field, expected, found): return "\(path): field '\(field)': expected \(expected), found \(found)"
        case let .unsupported(path, field, value): return "\(path): unsupported \(field): \(value)"
        case let .invalidValue(path, field, reason): return "\(path): field '\(field)': \(reason)"
        case let .imageTokenCount(found, expected):
            return "the prompt's image tokens (\(found)) do not split into the images' \(expected) tokens"
        }
    }
}

extension TokenizerError {
    /// The bytes of `path`, or `.cannotRead` naming it.
    static func reading(_ path: String) throws(TokenizerError) -> [UInt8] {
        do {
            return try FileBytes.read(path)
        } catch let WeightIOError.cannotOpen(_, reason) {
            throw .cannotRead(path: path, reason: reason)
        } catch {
            throw .cannotRead(path: path, reason: "\(error)")
        }
    }

    /// A WeightIO error reading the JSON file `path`, as the `TokenizerError` that names it.
    static func reading(_ error: WeightIOError, path: String) -> TokenizerError {
        switch error {
        case let .cannotOpen(_, reason): return .cannotRead(path: path, reason: reason)
        case let .invalidJSON(_, reason): return .invalidJSON(path: path, reason: reason)
        case let .duplicateKey(_, key): return .invalidJSON(path: path, reason: "duplicate key '\(key)'")
        default: return .invalidJSON(path: path, reason: "\(error)")
        }
    }
}
