import Tensors
import WeightIO

/// A fully connected layer, `y = x · Wᵀ + b`, with `weight` `[out, in]` stored as F32, F16 or BF16.
public struct Linear: Sendable {
    /// `[outFeatures, inFeatures]`.
    public let weight: Tensor
    /// `[outFeatures]`, if the layer has a bias.
    public let bias: Tensor?

    public init(weight: Tensor, bias: Tensor? = nil) {
        self.weight = weight
        self.bias = bias
    }

    /// Loads `\(name).weight` (and `\(name).bias` if `bias`), checking shapes.
    public init(_ store: WeightStore, _ name: String, out: Int, in inFeatures: Int, bias: Bool) throws {
        weight = try store.tensor("\(name).weight", shape: [out, inFeatures])
        self.bias = bias ? try store.tensor("\(name).bias", shape: [out]) : nil
    }

    public var outFeatures: Int { weight.shape[0] }
    public var inFeatures: Int { weight.shape[1] }

    /// Applies the layer to every row of `x` (`[…, in]` → `[…, out]`).
    public func callAsFunction(_ x: Tensor) -> Tensor { GEMM.linear(x, weight: weight, bias: bias) }
}
