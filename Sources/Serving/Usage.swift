import PyramidDrop
import WeightIO

/// The image tokens alive after one stage of a token policy.
public struct KeptStage: Sendable, Equatable {
    /// The stage's first layer (0 for a pre-decoder selection).
    public var layer: Int
    public var tokens: Int

    public init(layer: Int, tokens: Int) {
        self.layer = layer
        self.tokens = tokens
    }
}

/// The `usage` object of a response: OpenAI's token counts and a `pdrop` object with what the
/// token policy kept.
public struct Usage: Sendable, Equatable {
    /// Prompt tokens before any pruning (text and image tokens as the template placed them).
    public var promptTokens: Int
    public var completionTokens: Int
    /// Image tokens that entered the prompt (before pruning).
    public var imageTokens: Int
    /// Image tokens alive after each stage.
    public var keptPerStage: [KeptStage]
    /// Images whose tokens came from the image cache (no vision-tower pass).
    public var imageCacheHits: Int

    public init(promptTokens: Int, completionTokens: Int, imageTokens: Int = 0, keptPerStage: [KeptStage] = [],
                imageCacheHits: Int = 0) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.imageTokens = imageTokens
        self.keptPerStage = keptPerStage
        self.imageCacheHits = imageCacheHits
    }

    /// The usage of a generation whose prefill left `trace`.
    public init(promptTokens: Int, completionTokens: Int, trace: DropTrace, imageCacheHits: Int) {
        self.init(promptTokens: promptTokens, completionTokens: completionTokens, imageTokens: trace.imageTokens,
                  keptPerStage: trace.stages.map { KeptStage(layer: $0.layer, tokens: $0.count) }, imageCacheHits: imageCacheHits)
    }

    public var json: JSON {
        .object([
            "prompt_tokens": .int(promptTokens), "completion_tokens": .int(completionTokens),
            "total_tokens": .int(promptTokens + completionTokens),
            "pdrop": .object([
                "image_tokens": .int(imageTokens),
                "image_tokens_kept": .array(keptPerStage.map { .object(["layer": .int($0.layer), "tokens": .int($0.tokens)]) }),
                "image_cache_hits": .int(imageCacheHits),
            ]),
        ])
    }
}
