import PyramidDrop
import Transformer
import WeightIO

/// The drop trace of one run as JSON: which image tokens survived each stage (indices into the
/// prompt's image tokens), tokens per layer, the paper's FLOPs figure and a whole-prompt one (each
/// next to the no-drop figure), and timings.
struct RunReport {
    let trace: JSON

    init(result: GenerationResult, promptTokens: Int, policy: DropPolicy, config: LlamaConfig, visionSeconds: Double) {
        let t = result.trace
        let flops = FLOPsModel(hiddenSize: config.hiddenSize, intermediateSize: config.intermediateSize,
                               queryWidth: config.headCount * config.headDim, keyValueWidth: config.kvHeadCount * config.headDim)
        let layers = t.tokensPerLayer.count
        var policyJSON: [String: JSON] = ["name": .string(policy.name), "layers": .array(policy.schedule.boundaries.map { .int($0) })]
        for (key, value) in policy.parameters { policyJSON[key] = .double(value) }
        policyJSON["keep"] = .array(policy.schedule.boundaries.indices.map { .int(policy.schedule.keepCount(stage: $0, imageTokens: t.imageTokens)) })
        trace = .object([
            "image_tokens": .int(t.imageTokens),
            "image_token_start": t.imageTokenStart.map { .int($0) } ?? .null,
            "prompt_tokens": .int(promptTokens),
            "policy": .object(policyJSON),
            "stages": .array(t.stages.map { .object(["layer": .int($0.layer), "kept": .array($0.kept.map { .int($0) })]) }),
            "tokens_per_layer": .array(t.tokensPerLayer.map { .int($0) }),
            "image_tokens_per_layer": .array(t.imageTokensPerLayer.map { .int($0) }),
            "flops": .object([
                "paper": .double(flops.totalFLOPs(tokensPerLayer: t.imageTokensPerLayer)),
                "paper_vanilla": .double(flops.totalFLOPs(tokensPerLayer: Array(repeating: t.imageTokens, count: layers))),
                "whole_prompt": .double(flops.totalFLOPs(tokensPerLayer: t.tokensPerLayer)),
                "whole_prompt_vanilla": .double(flops.totalFLOPs(tokensPerLayer: Array(repeating: promptTokens, count: layers))),
            ]),
            "seconds": .object(["vision": .double(visionSeconds), "prefill": .double(result.prefillSeconds),
                                "decode": .double(result.decodeSeconds)]),
        ])
    }
}
