import WeightIO

/// One line of a shard's results: one sample answered under one policy (or the error that
/// prevented it), with what the policy cost and saved.
public struct EvalRecord: Sendable, Equatable {
    /// FLOPs of the prefill: the paper's count over image tokens per layer and the whole prompt's,
    /// each beside the unpruned model's.
    public struct FLOPs: Sendable, Equatable {
        public var paper = 0.0, paperVanilla = 0.0, wholePrompt = 0.0, wholePromptVanilla = 0.0
        public init(paper: Double = 0, paperVanilla: Double = 0, wholePrompt: Double = 0, wholePromptVanilla: Double = 0) {
            (self.paper, self.paperVanilla, self.wholePrompt, self.wholePromptVanilla) = (paper, paperVanilla, wholePrompt, wholePromptVanilla)
        }
    }

    public var id: String
    /// The policy as given in `--policies` (e.g. `visionzip:64`).
    public var policy: String
    /// The answer (nil when `error` is set).
    public var answer: String?
    /// Why the sample could not be answered (missing or unreadable image, empty question, …).
    public var error: String?
    /// The metric's name and the score (nil when the sample has no reference answers).
    public var metric: String?
    public var score: Double?
    /// Whether the answer equals the `none` policy's exactly (nil for `none` itself or when it failed).
    public var agreement: Bool?
    /// Image tokens of the unpruned prompt, and alive in each decoder layer.
    public var imageTokens = 0
    public var imageTokensPerLayer: [Int] = []
    public var flops = FLOPs()
    public var visionSeconds = 0.0, prefillSeconds = 0.0, decodeSeconds = 0.0
    public var completionTokens = 0
    /// Whether the image's tower outputs came from the run's image cache (vision seconds are then
    /// the policy's own selection only).
    public var visionCached = false

    public init(id: String, policy: String) {
        self.id = id
        self.policy = policy
    }

    /// A record of a sample that could not be answered.
    public init(id: String, policy: String, error: String) {
        self.init(id: id, policy: policy)
        self.error = error
    }

    public var json: JSON {
        func optional<T>(_ value: T?, _ wrap: (T) -> JSON) -> JSON { value.map(wrap) ?? .null }
        return .object([
            "id": .string(id), "policy": .string(policy),
            "answer": optional(answer, JSON.string), "error": optional(error, JSON.string),
            "metric": optional(metric, JSON.string), "score": optional(score, JSON.double), "agreement": optional(agreement, JSON.bool),
            "image_tokens": .int(imageTokens), "image_tokens_per_layer": .array(imageTokensPerLayer.map(JSON.int)),
            "flops": .object(["paper": .double(flops.paper), "paper_vanilla": .double(flops.paperVanilla),
                              "whole_prompt": .double(flops.wholePrompt), "whole_prompt_vanilla": .double(flops.wholePromptVanilla)]),
            "seconds": .object(["vision": .double(visionSeconds), "prefill": .double(prefillSeconds), "decode": .double(decodeSeconds)]),
            "completion_tokens": .int(completionTokens), "vision_cached": .bool(visionCached),
        ])
    }

    /// Reads a record written by `json`.
    public init(json: JSON) throws {
        self.init(id: try json.requireString("id"), policy: try json.requireString("policy"))
        answer = try json.string("answer")
        error = try json.string("error")
        metric = try json.string("metric")
        score = try json.double("score")
        agreement = try json.bool("agreement")
        imageTokens = try json.int("image_tokens") ?? 0
        imageTokensPerLayer = try (json.array("image_tokens_per_layer") ?? []).map {
            guard let value = $0.intValue else { throw EvaluationError.invalid("image_tokens_per_layer holds a non-integer") }
            return value
        }
        flops = FLOPs(paper: try json.double("flops", "paper") ?? 0, paperVanilla: try json.double("flops", "paper_vanilla") ?? 0,
                      wholePrompt: try json.double("flops", "whole_prompt") ?? 0,
                      wholePromptVanilla: try json.double("flops", "whole_prompt_vanilla") ?? 0)
        visionSeconds = try json.double("seconds", "vision") ?? 0
        prefillSeconds = try json.double("seconds", "prefill") ?? 0
        decodeSeconds = try json.double("seconds", "decode") ?? 0
        completionTokens = try json.int("completion_tokens") ?? 0
        visionCached = try json.bool("vision_cached") ?? false
    }

    /// Mean image tokens over the decoder layers.
    public var meanImageTokens: Double {
        imageTokensPerLayer.isEmpty ? Double(imageTokens) : Double(imageTokensPerLayer.reduce(0, +)) / Double(imageTokensPerLayer.count)
    }
}
