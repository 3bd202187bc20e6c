import LLaVA

/// What the converter adds to the layouts' name tables: the table of a separate CLIP folder and
/// the buffers it never carries.
extension TensorNameMap {
    /// A separate CLIP folder (openai/clip-vit-large-patch14-336, or a `CLIPVisionModel`): only
    /// the vision model; the text tower and projections of a full CLIP checkpoint are not LLaVA's.
    public static let clipFolder = TensorNameMap([
        Rule("vision_tower.", "vision_model."),
    ])

    /// Buffers that are not weights and are never converted: RoPE's `inv_freq` (recomputed from
    /// the config) and CLIP's `position_ids` (an arange; non-persistent in current transformers).
    public static func isDroppedBuffer(_ name: String) -> Bool {
        name.hasSuffix(".rotary_emb.inv_freq") || name.hasSuffix("embeddings.position_ids")
    }
}
