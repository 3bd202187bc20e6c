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
