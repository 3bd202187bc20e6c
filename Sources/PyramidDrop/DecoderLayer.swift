import Tensors

/// What PyramidDrop needs from a transformer decoder layer. Conform your own layer type (often in
/// an extension in your module) and `PyramidWrapper` can drive it — no retraining, no knowledge
/// of the model around it.
public protocol DecoderLayer {
    /// Runs the layer over every token of `state` (causal attention over the tokens already in
    /// `cache` plus these), replacing `state.hidden` with the layer's output and appending the
    /// tokens' keys and values to `cache`. Uses `state.positions` for RoPE.
    func forward(_ state: inout TokenState, cache: inout LayerCache)

    /// Mean-over-heads softmax attention of the `queries` rows over all current tokens, computed
    /// with this layer's own input norm, Q/K projections and RoPE (at `state.positions`), causal
    /// (query row `r` sees rows `0...r`). Only the query rows are projected to Q.
    /// Returns `[queries.count, state.count]`.
    func attention(of queries: [Int], in state: TokenState) -> Tensor
}
