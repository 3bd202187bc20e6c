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
        for layout in [LLaVALayout.huggingFace, .huggingFaceNew, .original] {
            // The original layout's `model.` prefix is too generic alone: it also needs its projector.
            if store.contains(layout.stored("language_model.embed_tokens.weight")),
               layout != .original || store.contains(layout.stored("multi_modal_projector.linear_1.weight")) {
                return layout
            }
        }
        let sample = store.names.prefix(3).joined(separator: ", ")
        throw LLaVAError.unknownLayout(path: store.path, hint: "no language_model.model.embed_tokens.weight, "
            + "model.language_model.embed_tokens.weight or model.embed_tokens.weight + model.mm_projector.0.weight (found \(sample), …)")
    }

    /// The stored name of a canonical tensor (see `TensorNameMap`); every canonical name used
    /// here has a writable rule in each table.
    private func stored(_ canonical: String) -> String { names.stored(for: canonical)! }

    /// Names of the language model's tensors.
    public var languageModel: LlamaModel.WeightNames {
        let layer0 = stored("language_model.layers.0.input_layernorm.weight")
        return LlamaModel.WeightNames(embedTokens: stored("language_model.embed_tokens.weight"),
                                      layerPrefix: String(layer0.dropLast(".0.input_layernorm.weight".count)),
                                      norm: stored("language_model.norm.weight"), lmHead: stored("lm_head.weight"))
    }

    /// Projector layer names (`….weight`, `….bias`).
    public var projector: (first: String, second: String) {
        (String(stored("multi_modal_projector.linear_1.weight").dropLast(".weight".count)),
         String(stored("multi_modal_projector.linear_2.weight").dropLast(".weight".count)))
    }

    /// Name of LLaVA-NeXT's row-separator embedding.
    public var imageNewline: String { stored("image_newline") }

    /// Candidate prefixes of the vision tower's tensors in the checkpoint itself, most specific first.
    var visionPrefixes: [String] {
        names.rules.filter { $0.canonical == "vision_tower." }.map(\.stored).sorted { $0.count > $1.count }
    }

    /// The prefix under which `store` holds a CLIP vision tower, if any: one of this layout's
    /// prefixes, or for a separate CLIP folder `vision_model.` or none.
    func visionPrefix(in store: WeightStore, separateFolder: Bool) -> String? {
        let candidates = separateFolder ? ["vision_model.", ""] : visionPrefixes
        return candidates.first { store.contains("\($0)embeddings.patch_embedding.weight") }
    }
}
