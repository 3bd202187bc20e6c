import Tensors
import WeightIO

/// A fully connected layer, `y = x · Wᵀ + b`, with `weight` `[out, in]` stored as F32, F16, BF16 or
/// a ggml block format (Q8_0 and Q4_0 held in their GEMV layout).
public struct Linear: Sendable {
    /// `[outFeatures, inFeatures]`.
    public let weight: Tensor
    /// `[outFeatures]`, if the layer has a bias.
    public let bias: Tensor?

    /// Where its products run (`.bf16` holds the weight as BF16).
    public let compute: ComputePath

    /// A layer computing on `compute` (`.bf16` needs a BF16 or block-quantized weight). A Q8_0 or
    /// Q4_0 weight is held in its GEMV layout (`Tensor.interleavedForGEMV`).
    public init(weight: Tensor, bias: Tensor? = nil, compute: ComputePath = .f32) {
        precondition(compute == .f32 || weight.dtype == .bf16 || weight.dtype.isBlockQuantized,
                     "bf16 compute needs a BF16 or block-quantized weight, got \(weight.dtype.rawValue)")
        self.weight = weight.interleavedForGEMV()
        self.bias = bias
        self.compute = compute
    }

    /// Loads `\(name).weight` (and `\(name).bias` if `bias`), checking shapes, for the path
    /// `compute` gives its stored dtype.
    public init(_ store: WeightStore, _ name: String, out: Int, in inFeatures: Int, bias: Bool, compute: ComputeMode = .auto) throws {
        try self.init(loaded: try store.tensor("\(name).weight", shape: [out, inFeatures]), named: "\(name).weight", from: store,
                      bias: bias ? try store.tensor("\(name).bias", shape: [out]) : nil, compute: compute)
    }

    /// A layer over `weight`, the tensor `name` of `store` (`[out, in]`), for the path `compute`
    /// gives its dtype. On the bf16 path an F16/F32 weight is rounded to BF16 once, into owned
    /// memory, and the mapped file's pages of the original are released (so a model never
    /// holds both copies).
    public init(loaded weight: Tensor, named name: String, from store: WeightStore, bias: Tensor? = nil, compute: ComputeMode) throws {
        let path = try compute.path(forWeights: weight.dtype)
        let rounds = path == .bf16 && !weight.dtype.isBlockQuantized && weight.dtype != .bf16
        self.init(weight: rounds ? weight.converted(to: .bf16) : weight, bias: bias, compute: path)
        // An owned copy (rounded, or repacked into the GEMV layout): the file's pages go.
        if self.weight.rawBytes.baseAddress != weight.rawBytes.baseAddress { store.release(name) }
    }

    public var outFeatures: Int { weight.shape[0] }
    public var inFeatures: Int { weight.shape[1] }

    /// Applies the layer to every row of `x` (`[…, in]` → `[…, out]`), then `activation` if
    /// given (fused into the product on the bf16 path; see `GEMM.linear`).
    /// Applies the layer to every row of `x` exactly as to that row alone, reading the weight once
    /// for all rows (`GEMM.rowwiseLinear`): a decode step of several sequences.
    public func rows(_ x: Tensor) -> Tensor { GEMM.rowwiseLinear(x, weight: weight, bias: bias) }

    public func callAsFunction(_ x: Tensor, activation: Activation? = nil) -> Tensor {
        GEMM.linear(x, weight: weight, bias: bias, activation: activation, compute: compute)
    }
}
