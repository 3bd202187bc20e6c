import WeightIO

/// A non-streamed answer (`object: chat.completion`).
public struct ChatCompletionResponse: Sendable, Equatable {
    /// `chatcmpl-…`, shared with the chunks of a streamed answer.
    public var id: String
    /// Unix seconds.
    public var created: Int
    public var model: String
    public var content: String
    public var finishReason: FinishReason
    public var usage: Usage

    public init(id: String, created: Int, model: String, content: String, finishReason: FinishReason, usage: Usage) {
        self.id = id
        self.created = created
        self.model = model
        self.content = content
        self.finishReason = finishReason
        self.usage = usage
    }

    public var json: JSON {
        .object([
            "id": .string(id), "object": .string("chat.completion"), "created": .int(created), "model": .string(model),
            "choices": .array([.object([
                "index": .int(0), "message": .object(["role": .string("assistant"), "content": .string(content)]),
                "logprobs": .null, "finish_reason": .string(finishReason.rawValue),
            ])]),
            "usage": usage.json,
        ])
    }
}
