/// The tensor-name table of each LLaVA layout (see `TensorNameMap` for the canonical names).
/// These tables are the runtime's and the converter's only knowledge of key names.
extension LLaVALayout {
    /// This layout's table.
    public var names: TensorNameMap {
        switch self {
        case .huggingFace: return .llavaHF
        case .huggingFaceNew: return .llavaHFNew
        case .original: return .llavaOriginal
        }
    }
}

extension TensorNameMap {
    /// llava-hf Hub files. transformers 5's `save_pretrained` drops `vision_model.` from the tower:
    /// accepted on reading, never written.
    public static let llavaHF = TensorNameMap([
        Rule("language_model.", "language_model.model."),
        Rule("lm_head.weight", "language_model.lm_head.weight"),
        Rule("multi_modal_projector.linear_1.", "multi_modal_projector.linear_1."),
        Rule("multi_modal_projector.linear_2.", "multi_modal_projector.linear_2."),
        Rule("vision_tower.", "vision_tower.vision_model."),
        Rule("vision_tower.", "vision_tower.", writable: false),
        Rule("image_newline", "image_newline"),
    ])

    /// The newer transformers prefixes (`model.language_model.*`, top-level `lm_head.weight`).
    public static let llavaHFNew = TensorNameMap([
        Rule("language_model.", "model.language_model."),
        Rule("lm_head.weight", "lm_head.weight"),
        Rule("multi_modal_projector.linear_1.", "model.multi_modal_projector.linear_1."),
        Rule("multi_modal_projector.linear_2.", "model.multi_modal_projector.linear_2."),
        Rule("vision_tower.", "model.vision_tower.vision_model."),
        Rule("vision_tower.", "model.vision_tower.", writable: false),
        Rule("image_newline", "model.image_newline"),
    ])

    /// liuhaotian's repository. `mlp2x_gelu` keeps its linears at indices 0 and 2 (1 is the GELU);
    /// any other projector tensor, or a tower stored another way, is refused rather than guessed.
    public static let llavaOriginal = TensorNameMap([
        Rule("language_model.", "model."),
        Rule("lm_head.weight", "lm_head.weight"),
        Rule("multi_modal_projector.linear_1.", "model.mm_projector.0."),
        Rule("multi_modal_projector.linear_2.", "model.mm_projector.2."),
        Rule(nil, "model.mm_projector."),
        Rule("vision_tower.", "model.vision_tower.vision_tower.vision_model."),
        Rule(nil, "model.vision_tower."),
        Rule("image_newline", "model.image_newline"),
    ])
}
