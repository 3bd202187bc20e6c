import ArgumentParser
import Transformer

/// Model shapes `pdrop bench` can synthesise: the exact text-model shapes of the published
/// checkpoints, and a tiny one for quick checks.
enum BenchPreset: String, ExpressibleByArgument, CaseIterable {
    case llava15 = "llava-1.5-7b"
    case nextVicuna = "llava-next-vicuna-7b"
    case nextMistral = "llava-next-mistral-7b"
    case tiny

    /// The text model's config.
    func config() throws -> LlamaConfig {
        let config: LlamaConfig
        switch self {
        case .llava15, .nextVicuna:
            config = LlamaConfig(modelType: "llama", hiddenSize: 4096, intermediateSize: 11008, layerCount: 32, headCount: 32,
                                 kvHeadCount: 32, vocabularySize: 32064, rmsNormEps: 1e-5)
        case .nextMistral:
            config = LlamaConfig(modelType: "mistral", hiddenSize: 4096, intermediateSize: 14336, layerCount: 32, headCount: 32,
                                 kvHeadCount: 8, vocabularySize: 32064, rmsNormEps: 1e-5, ropeTheta: 1e6)
        case .tiny:
            config = LlamaConfig(modelType: "llama", hiddenSize: 64, intermediateSize: 128, layerCount: 8, headCount: 4, vocabularySize: 512)
        }
        try config.validate(source: "preset \(rawValue)")
        return config
    }

    /// The vision tower's config: CLIP ViT-L/14-336 for every LLaVA preset (hidden 1024, 24 layers,
    /// 16 heads, intermediate 4096, 14-pixel patches of a 336-pixel image, quick_gelu), a tiny
    /// tower (4 layers over a 56-pixel image: 16 patches) for `tiny`.
    var visionConfig: CLIPVisionConfig {
        switch self {
        case .llava15, .nextVicuna, .nextMistral:
            return CLIPVisionConfig(hiddenSize: 1024, intermediateSize: 4096, layerCount: 24, headCount: 16, imageSize: 336,
                                    patchSize: 14, hiddenAct: .quickGELU)
        case .tiny:
            return CLIPVisionConfig(hiddenSize: 64, intermediateSize: 128, layerCount: 4, headCount: 4, imageSize: 56, patchSize: 14,
                                    hiddenAct: .quickGELU)
        }
    }

    /// How reports name the vision tower.
    var visionName: String { self == .tiny ? "tiny CLIP" : "CLIP ViT-L/14-336" }

    /// Image tokens of the preset's typical prompt (576 for LLaVA-1.5, 2880 for a 2×2 NeXT grid).
    var defaultImageTokens: Int {
        switch self {
        case .llava15: return 576
        case .nextVicuna, .nextMistral: return 2880
        case .tiny: return 64
        }
    }
}

extension LlamaConfig {
    /// `(out, in)` of one decoder layer's weight matrices: q, k, v, o, gate, up, down.
    var layerMatrixShapes: [(rows: Int, columns: Int)] {
        let d = hiddenSize, m = intermediateSize, q = headCount * headDim, kv = kvHeadCount * headDim
        return [(q, d), (kv, d), (kv, d), (d, q), (m, d), (m, d), (d, m)]
    }
}
