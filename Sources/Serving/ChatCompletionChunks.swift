import WeightIO

/// The chunks (`object: chat.completion.chunk`) of one streamed answer, in the order they are
/// sent: `role`, then `content(_:)` for each piece of text, `finish(_:)`, and with
/// `stream_options.include_usage` a `usage(_:)` chunk with no choices (every other chunk then
/// carries `"usage": null`, as OpenAI's do).
public struct ChatCompletionChunks: Sendable {
    /// `chatcmpl-…`, the same in every chunk.
    public var id: String
    /// Unix seconds.
    public var created: Int
    public var model: String
    /// `stream_options.include_usage`.
    public var includeUsage: Bool

    public init(id: String, created: Int, model: String, includeUsage: Bool) {
        self.id = id
        self.created = created
        self.model = model
        self.includeUsage = includeUsage
    }

    /// The first chunk: the assistant role and empty content.
    public var role: JSON { chunk(delta: ["role": .string("assistant"), "content": .string("")], finishReason: nil) }

    /// A piece of the answer.
    public func content(_ text: String) -> JSON { chunk(delta: ["content": .string(text)], finishReason: nil) }

    /// The last chunk with a choice: an empty delta and why generation ended.
    public func finish(_ reason: FinishReason) -> JSON { chunk(delta: [:], finishReason: reason) }

    /// The usage chunk (empty `choices`).
    public func usage(_ usage: Usage) -> JSON {
        .object(header.merging(["choices": .array([]), "usage": usage.json]) { $1 })
    }

    private var header: [String: JSON] {
        ["id": .string(id), "object": .string("chat.completion.chunk"), "created": .int(created), "model": .string(model)]
    }

    private func chunk(delta: [String: JSON], finishReason: FinishReason?) -> JSON {
        var members = header
        members["choices"] = .array([.object([
            "index": .int(0), "delta": .object(delta), "logprobs": .null,
            "finish_reason": finishReason.map { .string($0.rawValue) } ?? .null,
        ])])
        if includeUsage { members["usage"] = .null }
        return .object(members)
    }
}
