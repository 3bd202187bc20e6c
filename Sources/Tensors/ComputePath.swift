/// Where a model's dense products run.
public enum ComputePath: String, Sendable, CaseIterable {
    /// f32 through OpenBLAS (16-bit weights widened tile by tile): the same results on every CPU.
    case f32
    /// bf16 operands with f32 accumulation on the CPU's bf16 units (oneDNN); weights stored as
    /// BF16. Softmax, norms and residuals stay f32.
    case bf16

    /// How the path is named in reports, with the kernel it takes on this machine (for example
    /// `bf16 (onednn brg:avx512_core_bf16)` or `f32 (openblas)`).
    public var description: String {
        switch self {
        case .f32: return "f32 (openblas)"
        case .bf16: return "bf16 (onednn \(OneDNNMatmul.implementation))"
        }
    }
}

/// What a user asks for: a path, or `auto`.
public enum ComputeMode: String, Sendable, CaseIterable {
    /// bf16 where the weights are stored as BF16 or a block format (prefill's dequantized tiles
    /// round to bf16) and the CPU has native bf16 matmul; f32 otherwise (F32 and F16 weights
    /// always compute in f32).
    case auto
    /// Always f32.
    case f32
    /// Always bf16: F16/F32 weights are rounded to BF16 once at load. Needs native bf16 units.
    case bf16

    /// The path for weights stored as `dtype`. Throws for `bf16` on a CPU without native bf16
    /// matmul (or with `PDROP_FORCE_F32` set).
    public func path(forWeights dtype: DType) throws -> ComputePath {
        switch self {
        case .f32: return .f32
        case .auto: return (dtype == .bf16 || dtype.isBlockQuantized) && OneDNNMatmul.isNative ? .bf16 : .f32
        case .bf16:
            guard OneDNNMatmul.isNative else {
                throw ComputeError.noNativeBF16(OneDNNMatmul.forcedF32 ? "PDROP_FORCE_F32 is set" : OneDNNMatmul.implementation)
            }
            return .bf16
        }
    }
}

/// Why a compute path cannot be used.
public enum ComputeError: Error, Equatable, CustomStringConvertible {
    /// `--compute bf16` on a CPU whose oneDNN has no native bf16 matmul.
    case noNativeBF16(String)

    public var description: String {
        switch self {
        case .noNativeBF16(let why):
            return "--compute bf16 needs a CPU with native bf16 matmul (AVX512_BF16 or AMX); here: \(why)"
        }
    }
}
