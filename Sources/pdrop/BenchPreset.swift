import ArgumentParser
import Transformer

/// Model shapes `pdrop bench` can synthesise: the exact text-model and vision-tower shapes of the
/// published checkpoints, and a tiny one for quick checks.
enum BenchPreset: String, ExpressibleByArgument, CaseIterable {
    case llava15 = "llava-1.5-7b"
    case nextVicuna = "llava-next-vicuna-7b"
    case nextMistral = "llava-next-mistral-7b"
    /// llava-hf/llava-onevision-qwen2-0.5b-ov-hf: Qwen2-0.5B (tied embeddings) on SigLIP so400m.
    case oneVision05 = "llava-onevision-0.5b"
    /// llava-hf/llava-onevision-qwen2-7b-ov-hf: Qwen2-7B (untied head) on SigLIP so400m.
    case oneVision7 = "llava-onevision-7b"
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
        case .oneVision05:
            // Qwen2: biases on q, k and v (the family's fixed biases); head size 64.
            config = LlamaConfig(modelType: "qwen2", hiddenSize: 896, intermediateSize: 4864, layerCount: 24, headCount: 14,
                                 kvHeadCount: 2, vocabularySize: 152000, rmsNormEps: 1e-6, ropeTheta: 1e6, tieWordEmbeddings: true)
        case .oneVision7:
            // Head size 128.
            config = LlamaConfig(modelType: "qwen2", hiddenSize: 3584, intermediateSize: 18944, layerCount: 28, headCount: 28,
                                 kvHeadCount: 4, vocabularySize: 152128, rmsNormEps: 1e-6, ropeTheta: 1e6)
        case .tiny:
            config = LlamaConfig(modelType: "llama", hiddenSize: 64, intermediateSize: 128, layerCount: 8, headCount: 4, vocabularySize: 512)
        }
        try config.validate(source: "preset \(rawValue)")
        return config
    }

    /// The vision tower's config: CLIP ViT-L/14-336 for LLaVA-1.5 and NeXT (hidden 1024, 24
    /// layers, 16 heads, intermediate 4096, 14-pixel patches of a 336-pixel image, quick_gelu);
    /// SigLIP so400m-patch14-384 for OneVision (hidden 1152, 26 layers, 16 heads, intermediate
    /// 4304, 14-pixel patches of a 384-pixel image: 27 × 27 = 729, gelu_pytorch_tanh, eps 1e-6);
    /// a tiny CLIP tower (4 layers over a 56-pixel image: 16 patches) for `tiny`.
    var visionConfig: any BenchVisionConfig {
        switch self {
        case .llava15, .nextVicuna, .nextMistral:
            return CLIPVisionConfig(hiddenSize: 1024, intermediateSize: 4096, layerCount: 24, headCount: 16, imageSize: 336,
                                    patchSize: 14, hiddenAct: .quickGELU)
        case .oneVision05, .oneVision7:
            return SiglipVisionConfig(hiddenSize: 1152, intermediateSize: 4304, layerCount: 26, headCount: 16, imageSize: 384,
                                      patchSize: 14, layerNormEps: 1e-6, hiddenAct: .geluTanh)
        case .tiny:
            return CLIPVisionConfig(hiddenSize: 64, intermediateSize: 128, layerCount: 4, headCount: 4, imageSize: 56, patchSize: 14,
                                    hiddenAct: .quickGELU)
        }
    }

    /// The hidden state the model takes as image features (negative: from the end): −2 for
    /// LLaVA's CLIP, −1 for OneVision's SigLIP (the last layer's output, without `post_layernorm`).
    var visionFeatureLayer: Int {
        switch self {
        case .oneVision05, .oneVision7: return -1
        case .llava15, .nextVicuna, .nextMistral, .tiny: return -2
        }
    }

    /// Encoder layers the feature layer runs (23 of CLIP's 24, all 26 of SigLIP's).
    var visionLayers: Int { visionConfig.layerCount + 1 + visionFeatureLayer }

    /// How reports name the vision tower.
    var visionName: String {
        switch self {
        case .llava15, .nextVicuna, .nextMistral: return "CLIP ViT-L/14-336"
        case .oneVision05, .oneVision7: return "SigLIP so400m-patch14-384"
        case .tiny: return "tiny CLIP"
        }
    }

    /// Image tokens of the preset's typical prompt: 576 for LLaVA-1.5, 2880 for a 2×2 NeXT grid,
    /// 4725 for OneVision's single 1024×768 image (`OneVisionPrompt.imageTokens`: the base crop's
    /// 729 + a 2×3 grid of 384-pixel tiles unpadded to 54 × 73 patches, plus a newline per row).
    var defaultImageTokens: Int {
        switch self {
        case .llava15: return 576
        case .nextVicuna, .nextMistral: return 2880
        case .oneVision05, .oneVision7: return OneVisionPrompt.imageTokens
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
