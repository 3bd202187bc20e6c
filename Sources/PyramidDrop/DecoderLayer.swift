import Tensors

/// What PyramidDrop needs from a transformer decoder layer. Conform your own layer type (often in
/// an extension in your module) and `PyramidWrapper` can drive it — no retraining, no knowledge
/// of the model around it. Two requirements are enough; `forward(_:cache:observing:)` has a
/// default that a layer may replace to hand out what it computes anyway.
public protocol DecoderLayer: Sendable {
    /// Runs the layer over every token of `state` (causal attention over the tokens already in
    /// `cache` plus these), replacing `state.hidden` with the layer's output and appending the
    /// tokens' keys and values to `cache`. Uses `state.positions` for RoPE.
    func forward(_ state: inout TokenState, cache: inout any KVStore)

    /// Mean-over-heads softmax attention of the `queries` rows over all current tokens, computed
    /// with this layer's own input norm, Q/K projections and RoPE (at `state.positions`), causal
    /// (query row `r` sees rows `0...r`). Only the query rows are projected to Q.
    /// Returns `[queries.count, state.count]`.
    func attention(of queries: [Int], in state: TokenState) -> Tensor

    /// `forward`, also returning what `needs` asks about this very pass (the last token's
    /// attention row, the keys it appended). The default computes the attention row with
    /// `attention(of:in:)` before running `forward` and reads the keys back from `cache`; a layer
    /// that can take them from its own attention computation should.
    func forward(_ state: inout TokenState, cache: inout any KVStore, observing needs: LayerNeeds) -> LayerEvidence

    /// One decode step of several sequences at once: row `i` of `state` is sequence `i`'s newest
    /// token (at `state.positions[i]`), attending over `caches[i]` only, to which its key and
    /// value are appended. Each row must come out as `forward` on it alone would give it. The
    /// default runs the rows one at a time; a layer may read its weights once for all of them.
    func decodeStep(_ state: inout TokenState, caches: inout [any KVStore])
}

extension DecoderLayer {
    public func decodeStep(_ state: inout TokenState, caches: inout [any KVStore]) {
        precondition(state.count == caches.count, "decodeStep: \(state.count) rows for \(caches.count) caches")
        var rows: [Tensor] = []
        for i in caches.indices {
            var one = TokenState(hidden: state.hidden.gatherRows([i]), positions: [state.positions[i]], origins: [state.origins[i]])
            forward(&one, cache: &caches[i])
            rows.append(one.hidden)
        }
        state.hidden = Tensor(concatenatingRows: rows, width: state.hidden.shape[1])
    }

    /// The mean-over-heads attention row of the last token over all rows of `state`, from this
    /// layer's own Q/K: what attention-ranked policies score image tokens with.
    public func lastTokenAttention(in state: TokenState) -> [Float] {
        attention(of: [state.count - 1], in: state).floats
    }

    public func forward(_ state: inout TokenState, cache: inout any KVStore, observing needs: LayerNeeds) -> LayerEvidence {
        var evidence = LayerEvidence()
        if needs.contains(.lastTokenAttention) {
            evidence.lastTokenAttention = lastTokenAttention(in: state)
        }
        let before = cache.count
        forward(&state, cache: &cache)
        if needs.contains(.keys) { evidence.keys = cache.keys(before..<cache.count) }
        return evidence
    }
}
