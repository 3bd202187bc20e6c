import Evaluation
import PyramidDrop
import Tensors
import Transformer
import WeightIO

/// The drop trace of one run as JSON: which image tokens survived each stage (indices into the
/// prompt's image tokens) and how many image tokens went on (merged ones included), tokens per layer, the paper's FLOPs figure and a whole-prompt one (each
/// next to the no-drop figure), and timings.
struct RunReport {
    let trace: JSON

    /// The prefill's FLOPs: the paper's count over the image tokens per layer and the whole
    /// prompt's, each beside the unpruned model's (`promptTokens` before any pruning).
    static func flops(_ t: DropTrace, promptTokens: Int, shape: DecoderShape) -> EvalRecord.FLOPs {
        let flops = shape.flops, layers = t.tokensPerLayer.count
        return EvalRecord.FLOPs(paper: flops.totalFLOPs(tokensPerLayer: t.imageTokensPerLayer),
                                paperVanilla: flops.totalFLOPs(tokensPerLayer: Array(repeating: t.imageTokens, count: layers)),
                                wholePrompt: flops.totalFLOPs(tokensPerLayer: t.tokensPerLayer),
                                wholePromptVanilla: flops.totalFLOPs(tokensPerLayer: Array(repeating: promptTokens, count: layers)))
    }

    /// `promptTokens` counts the prompt before any pre-decoder pruning (the no-drop figure's tokens).
    /// `compute` names the paths the language model and the vision tower took.
    init(result: GenerationResult, promptTokens: Int, policy: any TokenPolicy, shape: DecoderShape, visionSeconds: Double,
         compute: (language: ComputePath, vision: ComputePath)) {
        let t = result.trace
        let flops = Self.flops(t, promptTokens: promptTokens, shape: shape)
        var policyJSON: [String: JSON] = ["name": .string(policy.name), "layers": .array(t.stages.map { .int($0.layer) })]
        for (key, value) in policy.parameters { policyJSON[key] = .double(value) }
        policyJSON["keep"] = .array(t.stages.map { .int($0.count) })
        trace = .object([
            "image_tokens": .int(t.imageTokens),
            "image_token_start": t.imageTokenStart.map { .int($0) } ?? .null,
            "prompt_tokens": .int(promptTokens),
            "policy": .object(policyJSON),
            "stages": .array(t.stages.map {
                .object(["layer": .int($0.layer), "kept": .array($0.kept.map { .int($0) }), "image_tokens": .int($0.count),
                         "merged": .array($0.merged.map { .int($0) })])
            }),
            "tokens_per_layer": .array(t.tokensPerLayer.map { .int($0) }),
            "image_tokens_per_layer": .array(t.imageTokensPerLayer.map { .int($0) }),
            "flops": .object([
                "paper": .double(flops.paper), "paper_vanilla": .double(flops.paperVanilla),
                "whole_prompt": .double(flops.wholePrompt), "whole_prompt_vanilla": .double(flops.wholePromptVanilla),
            ]),
            "compute": .object(["language": .string(compute.language.description), "vision": .string(compute.vision.description),
                                "threads": .int(Threads.count)]),
            "seconds": .object(["vision": .double(visionSeconds), "prefill": .double(result.prefillSeconds),
                                "decode": .double(result.decodeSeconds)]),
        ])
    }
}
