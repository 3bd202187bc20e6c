import Tensors

/// The only globals a PyTorch state-dict pickle may name. Anything else (`os.system`,
/// `builtins.eval`, …) is refused by name when the pickle mentions it; nothing is ever imported
/// or called, the unpickler only recognises these names.
enum TorchGlobal: Sendable, Equatable {
    /// `collections.OrderedDict` (the state dict itself, tensors' empty backward hooks).
    case orderedDict
    /// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`.
    case rebuildTensorV2
    /// `torch._utils._rebuild_parameter(tensor, requires_grad, hooks)`.
    case rebuildParameter
    /// A typed storage class such as `torch.FloatStorage`, named in persistent ids.
    case storageType(DType)

    /// The storage classes `torch.save` names for each dtype we can hold.
    static let storageTypes: [String: DType] = [
        "FloatStorage": .f32, "HalfStorage": .f16, "BFloat16Storage": .bf16, "DoubleStorage": .f64,
        "LongStorage": .i64, "IntStorage": .i32, "ShortStorage": .i16, "CharStorage": .i8,
        "ByteStorage": .u8, "BoolStorage": .bool,
    ]

    /// The allowed global `module.name`, or `nil`.
    init?(module: String, name: String) {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensorV2
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
        case ("torch", _):
            guard let dtype = Self.storageTypes[name] else { return nil }
            self = .storageType(dtype)
        default: return nil
        }
    }
}
