import ArgumentParser
import Transformer
import WeightIO

/// Model shapes `pdrop bench` can synthesise: the exact text-model shapes of the published
/// checkpoints, and a tiny one for quick checks.
enum BenchPreset: String, ExpressibleByArgument, CaseIterable {
    case llava15 = "llava-1.5-7b"
    case nextVicuna = "llava-next-vicuna-7b"
    case nextMistral = "llava-next-mistral-7b"
    case tiny

    /// The text model's config.
    func config() throws -> LlamaConfig {
        let json: JSON
        switch self {
        case .llava15, .nextVicuna:
            json = .object(["model_type": .string("llama"), "hidden_size": .int(4096), "intermediate_size": .int(11008),
                            "num_hidden_layers": .int(32), "num_attention_heads": .int(32), "num_key_value_heads": .int(32),
                            "vocab_size": .int(32064), "rms_norm_eps": .double(1e-5)])
        case .nextMistral:
            json = .object(["model_type": .string("mistral"), "hidden_size": .int(4096), "intermediate_size": .int(14336),
                            "num_hidden_layers": .int(32), "num_attention_heads": .int(32), "num_key_value_heads": .int(8),
                            "vocab_size": .int(32064), "rms_norm_eps": .double(1e-5), "rope_theta": .double(1e6)])
        case .tiny:
            json = .object(["model_type": .string("llama"), "hidden_size": .int(64), "intermediate_size": .int(128),
                            "num_hidden_layers": .int(8), "num_attention_heads": .int(4), "vocab_size": .int(512)])
        }
        return try LlamaConfig(json: json, source: "preset \(rawValue)")
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
