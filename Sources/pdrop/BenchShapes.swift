import Transformer
import WeightIO

extension LlamaConfig {
    /// The text model's shape as `pdrop bench` reports it (`model` in its JSON).
    var benchShapeJSON: JSON {
        .object([
            "family": .string(modelType), "hidden": .int(hiddenSize), "intermediate": .int(intermediateSize),
            "layers": .int(layerCount), "heads": .int(headCount), "kv_heads": .int(kvHeadCount), "head_dim": .int(headDim),
            "vocab": .int(vocabularySize), "rms_norm_eps": .double(Double(rmsNormEps)), "rope_theta": .double(Double(ropeTheta)),
            "tied": .bool(tieWordEmbeddings), "qkv_bias": .bool(attentionBias.onQueryKeyValue),
        ])
    }

    /// One line: `qwen2 896×24, 14 heads (2 KV, 64 each), FFN 4864, vocab 152000, tied head, q/k/v biases`.
    var benchShapeText: String {
        "\(modelType) \(hiddenSize)×\(layerCount), \(headCount) heads (\(kvHeadCount) KV, \(headDim) each), FFN \(intermediateSize), "
            + "vocab \(vocabularySize), \(tieWordEmbeddings ? "tied" : "untied") head\(attentionBias.onQueryKeyValue ? ", q/k/v biases" : "")"
    }
}

extension BenchVisionConfig {
    /// The tower's shape as `pdrop bench` reports it (in its `vision` JSON).
    var benchShapeJSON: [String: JSON] {
        [
            "tower_layers": .int(layerCount), "tokens": .int(tokenCount), "class_tokens": .int(classTokenCount),
            "hidden": .int(hiddenSize), "intermediate": .int(intermediateSize), "heads": .int(headCount),
            "image_size": .int(imageSize), "patch_size": .int(patchSize), "patch_bias": .bool(patchEmbeddingHasBias),
        ]
    }
}

extension BenchPreset {
    /// `pdrop bench --shapes`: the preset's text model, vision tower (with the layers its feature
    /// layer runs) and default image tokens, nothing built.
    func shapesJSON() throws -> JSON {
        var vision = visionConfig.benchShapeJSON
        vision["tower"] = .string(visionName)
        vision["layers"] = .int(visionLayers)
        vision["feature_layer"] = .int(visionFeatureLayer)
        return .object(["preset": .string(rawValue), "model": try config().benchShapeJSON, "vision": .object(vision),
                        "image_tokens": .int(defaultImageTokens)])
    }

    /// The text form of `shapesJSON`.
    func shapesText() throws -> String {
        let vision = visionConfig
        return """
            \(rawValue): \(try config().benchShapeText)
            vision: \(visionName), \(vision.hiddenSize)×\(vision.layerCount) (\(visionLayers) run, feature layer \(visionFeatureLayer)), \
            \(vision.tokenCount) tokens; \(defaultImageTokens) image tokens by default
            """
    }
}
