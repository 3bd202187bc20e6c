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

    /// Parses a Hugging Face `hidden_act` name (`silu`/`swish`, `gelu`, `quick_gelu`).
    public init?(huggingFaceName name: String) {
        switch name {
        case "silu", "swish": self = .silu
        case "gelu": self = .gelu
        case "quick_gelu": self = .quickGELU
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
