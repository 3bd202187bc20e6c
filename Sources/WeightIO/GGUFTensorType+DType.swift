import Tensors

extension GGUFTensorType {
    /// The formats read by dequantizing at load and requantizing into Q8_0 (ggml's reference
    /// quantizer): the engine has no kernels of its own for them.
    public static let requantizedOnLoad: Set<GGUFTensorType> = [.q4_1, .q5_0, .q5_1, .q5_K, .q8_K]

    /// The dtype a tensor of this type is computed in: as stored for F32, F16, BF16, Q8_0, Q4_0,
    /// Q4_K and Q6_K, Q8_0 for `requantizedOnLoad`, nil for types this tool refuses.
    public var loadedDType: DType? {
        switch self {
        case .f32: return .f32
        case .f16: return .f16
        case .bf16: return .bf16
        case .q8_0: return .q8_0
        case .q4_0: return .q4_0
        case .q4_K: return .q4_k
        case .q6_K: return .q6_k
        default: return Self.requantizedOnLoad.contains(self) ? .q8_0 : nil
        }
    }
}
