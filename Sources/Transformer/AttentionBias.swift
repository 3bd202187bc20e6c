/// Which attention projections carry a bias: LLaMA's `attention_bias` puts one on all four,
/// Qwen2 on q, k and v only, Mistral on none.
public enum AttentionBias: Sendable, Equatable {
    /// No projection has a bias.
    case none
    /// q, k, v and o have one.
    case all
    /// q, k and v have one, o does not.
    case queryKeyValue

    /// Whether the q, k and v projections have a bias.
    public var onQueryKeyValue: Bool { self != .none }
    /// Whether the output projection has one.
    public var onOutput: Bool { self == .all }
}
