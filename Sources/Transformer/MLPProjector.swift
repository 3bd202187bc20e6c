import Tensors
import WeightIO

/// LLaVA's two-layer projector from vision features to the language model's embedding space:
/// `linear_2(act(linear_1(x)))`, with exact GELU by default (`mlp2x_gelu`).
public struct MLPProjector: Sendable {
    public let linear1: Linear   // [textHidden, visionHidden] + bias
    public let linear2: Linear   // [textHidden, textHidden] + bias
    public let activation: Activation

    public init(linear1: Linear, linear2: Linear, activation: Activation = .gelu) {
        self.linear1 = linear1
        self.linear2 = linear2
        self.activation = activation
    }

    /// Loads `first`/`second` (`….weight`, `….bias`) with the given sizes, for the path `compute`
    /// gives their stored dtype.
    public init(_ store: WeightStore, first: String, second: String, visionHidden: Int, textHidden: Int,
                bias: Bool = true, activation: Activation = .gelu, compute: ComputeMode = .auto) throws {
        linear1 = try Linear(store, first, out: textHidden, in: visionHidden, bias: bias, compute: compute)
        linear2 = try Linear(store, second, out: textHidden, in: textHidden, bias: bias, compute: compute)
        self.activation = activation
    }

    /// Projects `[tokens, visionHidden]` features to `[tokens, textHidden]`.
    public func callAsFunction(_ features: Tensor) -> Tensor {
        var hidden = linear1(features)
        activation.apply(&hidden)
        return linear2(hidden)
    }
}
