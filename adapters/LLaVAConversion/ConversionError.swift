/// Why a checkpoint conversion (`LLaVAConverter`) failed. `description` is one line naming the
/// file, tensor or field involved. Errors from reading (`WeightIOError`, `TokenizerError`) and
/// from the model layer (`LLaVAError`) pass through unchanged.
public enum ConversionError: Error, CustomStringConvertible, Equatable {
    /// The destination exists and overwriting was not asked for.
    case destinationExists(path: String)
    /// Source and destination are the same folder, or one contains the other.
    case overlappingFolders(source: String, destination: String)
    /// A stored tensor name no rule of the source layout maps.
    case unmappedTensor(name: String, layout: String, path: String)
    /// A stored tensor under a prefix the layout refuses (another projector type, say).
    case refusedTensor(name: String, prefix: String, path: String)
    /// The target layout has no name for a canonical tensor.
    case noTargetName(canonical: String, layout: String)
    /// Two source tensors map to the same name.
    case duplicateTensor(name: String, first: String, second: String)
    /// A tensor the conversion needs is absent or has an unexpected shape.
    case badTensor(name: String, path: String, reason: String)
    /// The original LLaVA-1.5 layout without a resolvable CLIP folder.
    case missingVisionTower(path: String, reference: String)
    /// The vocabulary cannot be padded or sliced as asked.
    case vocabulary(path: String, reason: String)
    /// A config field the target layout cannot express.
    case unsupportedConfig(path: String, field: String, reason: String)
    /// `--max-shard-size` is not a positive size such as `5GB`, `500MB` or `1000000`.
    case invalidShardSize(String)
    /// A file could not be copied, created or renamed.
    case fileOperation(path: String, reason: String)
    /// The caller stopped the conversion (its progress callback threw this, or a signal arrived).
    case cancelled

    public var description: String {
        switch self {
        case let .destinationExists(path): return "\(path): already exists (pass --force to replace it)"
        case let .overlappingFolders(source, destination):
            return "\(destination): the destination must not be the source \(source), inside it, or contain it"
        case let .unmappedTensor(name, layout, path): return "\(path): tensor '\(name)' has no meaning in the \(layout) layout"
        case let .refusedTensor(name, prefix, path):
            return "\(path): tensor '\(name)' under '\(prefix)' is not supported (only mlp2x_gelu projectors and CLIP towers convert)"
        case let .noTargetName(canonical, layout): return "the \(layout) layout has no name for tensor '\(canonical)'"
        case let .duplicateTensor(name, first, second): return "tensor '\(name)' comes from both '\(first)' and '\(second)'"
        case let .badTensor(name, path, reason): return "\(path): tensor '\(name)': \(reason)"
        case let .missingVisionTower(path, reference):
            return "\(path): the CLIP vision tower '\(reference)' is not a local folder (pass --vision-tower DIR)"
        case let .vocabulary(path, reason): return "\(path): \(reason)"
        case let .unsupportedConfig(path, field, reason): return "\(path): field '\(field)': \(reason)"
        case let .invalidShardSize(text):
            return "invalid shard size '\(text)' (expected a positive size such as 5GB, 500MB, 2GiB or a byte count)"
        case let .fileOperation(path, reason): return "\(path): \(reason)"
        case .cancelled: return "conversion cancelled; nothing was written"
        }
    }
}
