import Transformer
import WeightIO

/// One accepted request's answer as its events arrive: the text a client may see (stop tokens
/// and stop strings honoured), then the finish reason and usage — as server-sent-event strings
/// for a streamed request, or one `ChatCompletionResponse` at the end.
public struct ChatReply: Sendable {
    public let chunks: ChatCompletionChunks
    private let accepted: ChatService.Accepted
    private let stopTokens: Set<Int>
    private var answer: AnswerText
    /// The finished generation (nil until its `.finished` event, or when a stop string ended it first).
    public private(set) var result: GenerationResult?
    /// True once the answer is complete (the generation finished or a stop string ended it).
    public private(set) var done = false

    public init(service: ChatService, accepted: ChatService.Accepted) {
        self.accepted = accepted
        chunks = ChatCompletionChunks(id: accepted.id, created: accepted.created, model: service.settings.modelName,
                                      includeUsage: accepted.request.includeUsage)
        stopTokens = service.pipeline.stopTokenIDs
        answer = AnswerText(tokenizer: service.pipeline.tokenizer, stop: accepted.request.stop)
    }

    /// Takes one event; returns the text it releases.
    @discardableResult
    public mutating func absorb(_ event: GenerationEvent) -> String {
        guard !done else { return "" }
        switch event {
        case .token(let id):
            let text = answer.next(id, isStopToken: stopTokens.contains(id))
            if answer.stopped { done = true }
            return text
        case .finished(let result):
            self.result = result
            done = true
            return answer.finish()
        }
    }

    /// The server-sent events `event` releases: content, and at the end the finish chunk, the
    /// usage chunk when asked for, and `[DONE]`.
    public mutating func streamed(_ event: GenerationEvent) -> [String] {
        let text = absorb(event)
        var out = text.isEmpty ? [] : [ServerSentEvents.event(chunks.content(text))]
        if done {
            out.append(ServerSentEvents.event(chunks.finish(finishReason)))
            if accepted.request.includeUsage { out.append(ServerSentEvents.event(chunks.usage(usage))) }
            out.append(ServerSentEvents.done)
        }
        return out
    }

    /// `stop` for a stop token or string, `length` when the token limit ended the answer.
    public var finishReason: FinishReason {
        if answer.stopped { return .stop }
        guard let result, let last = result.tokens.last else { return .stop }
        return stopTokens.contains(last) ? .stop : .length
    }

    /// What preparing the prompt found (prompt tokens before pruning, cached images).
    public var facts: PromptFacts { accepted.facts() }

    /// Prompt tokens before pruning, completion tokens, image tokens kept per stage, cache hits.
    public var usage: Usage {
        let facts = facts, completion = result?.tokens.count ?? 0
        guard let result else { return Usage(promptTokens: facts.promptTokens, completionTokens: completion, imageCacheHits: facts.cachedImages) }
        return Usage(promptTokens: facts.promptTokens, completionTokens: completion, trace: result.trace, imageCacheHits: facts.cachedImages)
    }

    /// The whole answer.
    public var response: JSON {
        ChatCompletionResponse(id: accepted.id, created: accepted.created, model: chunks.model, content: answer.text,
                               finishReason: finishReason, usage: usage).json
    }
}

extension ChatService {
    /// Counts an answered request in `metrics`.
    public func record(_ reply: ChatReply) {
        metrics.record(status: 200)
        if let result = reply.result { metrics.record(result, facts: reply.facts) }
    }
}
