import CKernels
import Foundation

/// Element-wise activation functions, applied in place.
public enum Activation: String, Sendable {
    /// `x · σ(x)` (LLaMA's `silu`).
    case silu
    /// Exact GELU, `0.5 · x · (1 + erf(x/√2))` (PyTorch `gelu`, the LLaVA projector).
    case gelu
    /// `x · σ(1.702 x)` (CLIP's `quick_gelu`).
    case quickGELU = "quick_gelu"
    /// The tanh approximation `0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))`, in PyTorch's
    /// f32 order of operations (`gelu(approximate="tanh")`, SigLIP's `gelu_pytorch_tanh`).
    case geluTanh = "gelu_pytorch_tanh"

    /// Parses a Hugging Face `hidden_act` name (`silu`/`swish`, `gelu`, `quick_gelu`,
    /// `gelu_pytorch_tanh`).
    public init?(huggingFaceName name: String) {
        switch name {
        case "silu", "swish": self = .silu
        case "gelu": self = .gelu
        case "quick_gelu": self = .quickGELU
        case "gelu_pytorch_tanh": self = .geluTanh
        default: return nil
        }
    }

    /// The activation of one value.
    @inline(__always)
    public func callAsFunction(_ x: Float) -> Float {
        switch self {
        case .silu: return x / (1 + exp(-x))
        case .gelu: return 0.5 * x * (1 + erf(x * Float(0.5).squareRoot()))
        case .quickGELU: return x / (1 + exp(-1.702 * x))
        case .geluTanh:
            let inner = Float(0.7978845608028654) * (x + Float(0.044715) * (x * x * x))   // √(2/π), as M_SQRT2 · M_2_SQRTPI / 2
            return 0.5 * x * (1 + tanh(inner))
        }
    }

    /// Applies the activation to every element of `x`.
    public func apply(_ x: inout Tensor) {
        x.withMutableFloats { p in
            Parallel.forEachChunk(of: p.count, minimumPerWorker: 32_768) { range in
                if self == .silu {
                    pd_silu(p.baseAddress! + range.lowerBound, range.count)   // vectorised exp where the CPU allows
                } else {
                    for i in range { p[i] = self(p[i]) }
                }
            }
        }
    }
}
