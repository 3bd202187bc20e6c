import Transformer
import WeightIO

/// How a LLaVA checkpoint names its tensors. Adapters are the only place that knows these names.
public enum LLaVALayout: String, Sendable, CaseIterable {
    /// llava-hf Hub files: `language_model.model.*`, `language_model.lm_head.weight`,
    /// `vision_tower[.vision_model].*`, `multi_modal_projector.linear_{1,2}.*`, `image_newline`.
    case huggingFace = "llava-hf"
    /// Newer transformers prefixes: `model.language_model.*`, `lm_head.weight`,
    /// `model.vision_tower[.vision_model].*`, `model.multi_modal_projector.*`, `model.image_newline`.
    case huggingFaceNew = "llava-hf-new"
    /// liuhaotian's repository: `model.*`, `lm_head.weight`, `model.mm_projector.{0,2}.*`,
    /// `model.image_newline`; the vision tower in a separate CLIP folder (`vision_model.*`) for
    /// v1.5 or inside as `model.vision_tower.vision_tower.vision_model.*` for v1.6.
    case original

    /// Detects the layout from the tensor names.
    public static func detect(_ store: WeightStore) throws -> LLaVALayout {
        if store.contains("language_model.model.embed_tokens.weight") { return .huggingFace }
        if store.contains("model.language_model.embed_tokens.weight") { return .huggingFaceNew }
        if store.contains("model.embed_tokens.weight") && store.contains("model.mm_projector.0.weight") { return .original }
        let sample = store.names.prefix(3).joined(separator: ", ")
        throw LLaVAError.unknownLayout(path: store.path, hint: "no language_model.model.embed_tokens.weight, "
            + "model.language_model.embed_tokens.weight or model.embed_tokens.weight + model.mm_projector.0.weight (found \(sample), …)")
    }

    /// Names of the language model's tensors.
    public var languageModel: LlamaModel.WeightNames {
        switch self {
        case .huggingFace:
            return LlamaModel.WeightNames(embedTokens: "language_model.model.embed_tokens.weight", layerPrefix: "language_model.model.layers",
                                          norm: "language_model.model.norm.weight", lmHead: "language_model.lm_head.weight")
        case .huggingFaceNew:
            return LlamaModel.WeightNames(embedTokens: "model.language_model.embed_tokens.weight", layerPrefix: "model.language_model.layers",
                                          norm: "model.language_model.norm.weight", lmHead: "lm_head.weight")
        case .original:
            return .causalLM()
        }
    }

    /// Projector layer names (`….weight`, `….bias`).
    public var projector: (first: String, second: String) {
        switch self {
        case .huggingFace: return ("multi_modal_projector.linear_1", "multi_modal_projector.linear_2")
        case .huggingFaceNew: return ("model.multi_modal_projector.linear_1", "model.multi_modal_projector.linear_2")
        case .original: return ("model.mm_projector.0", "model.mm_projector.2")
        }
    }

    /// Name of LLaVA-NeXT's row-separator embedding.
    public var imageNewline: String { self == .huggingFace ? "image_newline" : "model.image_newline" }

    /// Candidate prefixes of the vision tower's tensors in the checkpoint itself, most specific first.
    var visionPrefixes: [String] {
        switch self {
        case .huggingFace: return ["vision_tower.vision_model.", "vision_tower."]
        case .huggingFaceNew: return ["model.vision_tower.vision_model.", "model.vision_tower."]
        case .original: return ["model.vision_tower.vision_tower.vision_model."]
        }
    }

    /// The prefix under which `store` holds a CLIP vision tower, if any: one of this layout's
    /// prefixes, or for a separate CLIP folder `vision_model.` or none.
    func visionPrefix(in store: WeightStore, separateFolder: Bool) -> String? {
        let candidates = separateFolder ? ["vision_model.", ""] : visionPrefixes
        return candidates.first { store.contains("\($0)embeddings.patch_embedding.weight") }
    }
}
