import PyramidDrop
import WeightIO

/// The `usage` object of a response: OpenAI's token counts and a `pdrop` object with what the
/// token policy kept.
public struct Usage: Sendable, Equatable {
    /// Prompt tokens before any pruning (text and image tokens as the template placed them).
    public var promptTokens: Int
    public var completionTokens: Int
    /// Image tokens that entered the prompt (before pruning).
    public var imageTokens: Int
    /// Image tokens alive after each stage: the stage's first layer and its count.
    public var keptPerStage: [(layer: Int, tokens: Int)]
    /// Whether the image features came from the cache (no vision-tower pass).
    public var imageCacheHit: Bool

    public init(promptTokens: Int, completionTokens: Int, imageTokens: Int = 0, keptPerStage: [(layer: Int, tokens: Int)] = [],
                imageCacheHit: Bool = false) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.imageTokens = imageTokens
        self.keptPerStage = keptPerStage
        self.imageCacheHit = imageCacheHit
    }

    /// The usage of a generation whose prefill left `trace`.
    public init(promptTokens: Int, completionTokens: Int, trace: DropTrace, imageCacheHit: Bool) {
        self.init(promptTokens: promptTokens, completionTokens: completionTokens, imageTokens: trace.imageTokens,
                  keptPerStage: trace.stages.map { ($0.layer, $0.count) }, imageCacheHit: imageCacheHit)
    }

    public static func == (a: Usage, b: Usage) -> Bool {
        a.promptTokens == b.promptTokens && a.completionTokens == b.completionTokens && a.imageTokens == b.imageTokens
            && a.keptPerStage.map(\.layer) == b.keptPerStage.map(\.layer) && a.keptPerStage.map(\.tokens) == b.keptPerStage.map(\.tokens)
            && a.imageCacheHit == b.imageCacheHit
    }

    public var json: JSON {
        .object([
            "prompt_tokens": .int(promptTokens), "completion_tokens": .int(completionTokens),
            "total_tokens": .int(promptTokens + completionTokens),
            "pdrop": .object([
                "image_tokens": .int(imageTokens),
                "image_tokens_kept": .array(keptPerStage.map { .object(["layer": .int($0.layer), "tokens": .int($0.tokens)]) }),
                "image_cache_hit": .bool(imageCacheHit),
            ]),
        ])
    }
}
