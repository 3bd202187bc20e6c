import Foundation
import Imaging
import LLaVA
import PyramidDrop
import Tokenizer
import Transformer
import WeightIO

/// Answers chat-completions requests with one loaded model: parse, load the images, render the
/// conversation with the model's template, choose the token policy, and queue the generation on
/// a shared `GenerationQueue`. HTTP-free: the server hands it body bytes and writes what it
/// returns.
public final class ChatService: Sendable {
    /// Server-wide settings (the `pdrop serve` options).
    public struct Settings: Sendable {
        public var modelName: String
        public var policy: PolicyRequest
        public var perImageBudget = false
        public var maxNewTokens = 512
        public var defaultTemperature = 1.0
        public var imageLoader = ImageLoader()

        public init(modelName: String, policy: PolicyRequest) {
            self.modelName = modelName
            self.policy = policy
        }
    }

    /// A request accepted into the queue: how to answer it.
    public struct Accepted: Sendable {
        public let id: String
        public let created: Int
        public let request: ChatCompletionRequest
        /// The generation's events.
        public let events: AsyncThrowingStream<GenerationEvent, Error>
        /// The prompt's tokens before any pruning, known once the first event arrived.
        public let promptTokens: @Sendable () -> Int
    }

    public let pipeline: LLaVAPipeline
    public let settings: Settings
    public let queue: GenerationQueue
    /// What `GET /metrics` reports.
    public let metrics = ServerMetrics()
    private let template: PromptTemplate

    public init(pipeline: LLaVAPipeline, settings: Settings, queue: GenerationQueue) {
        self.pipeline = pipeline
        self.settings = settings
        self.queue = queue
        template = pipeline.model.checkpoint.defaultTemplate
    }

    /// Checks and queues a request. Throws `APIError`: 400 for a bad request, 429 when the queue
    /// is full, 503 while shutting down.
    public func accept(body: [UInt8]) throws(APIError) -> Accepted {
        let request = try ChatCompletionRequest(body: body)
        let images = try request.images.map { reference throws(APIError) in try settings.imageLoader.load(reference) }
        let text: String
        do {
            text = try template.renderConversation(request.messages.map(\.turn))
        } catch {
            throw .invalidRequest("\(error)", param: "messages")
        }
        let layerCount = pipeline.model.config.text.layerCount
        let policy = try (request.pdrop ?? PDropOptions()).makePolicy(over: settings.policy, perImageDefault: settings.perImageBudget,
                                                                     layerCount: layerCount)
        let options = GenerationOptions(maxNewTokens: min(request.maxTokens ?? settings.maxNewTokens, settings.maxNewTokens),
                                        stopTokenIDs: pipeline.stopTokenIDs,
                                        sampler: request.sampler(defaultTemperature: settings.defaultTemperature,
                                                                 fallbackSeed: UInt64.random(in: 0...UInt64.max)),
                                        eligibleVocabulary: pipeline.eligibleVocabulary)
        let pipeline = pipeline, context = pipeline.model.config.text.maxPositionEmbeddings
        let promptTokens = Counter()
        let events: AsyncThrowingStream<GenerationEvent, Error>
        do {
            events = try queue.submit { betweenLayers in
                let state: TokenState
                do {
                    state = try pipeline.prompt(text: text, images: images, policy: policy).state
                } catch {
                    throw APIError.invalidRequest("\(error)", param: "messages")
                }
                let unpruned = state.count + state.originalImageCount - state.imageCount
                promptTokens.set(unpruned)
                guard unpruned + options.maxNewTokens <= context else {
                    throw APIError.invalidRequest("the prompt's \(unpruned) tokens and max_tokens \(options.maxNewTokens) exceed the model's context of \(context)",
                                                  param: "messages", code: "context_length_exceeded")
                }
                do {
                    return try GenerationSession(generator: Generator(model: pipeline.model.language, policy: policy), prompt: state,
                                                 options: options, betweenLayers: betweenLayers)
                } catch let error as PyramidDropError {   // a policy that cannot act on this prompt: the request's fault
                    throw APIError.invalidRequest("\(error)", param: "pdrop")
                }
            }
        } catch GenerationQueueError.closed {
            throw .unavailable("the server is shutting down")
        } catch {
            throw .rateLimited("\(error)")
        }
        return Accepted(id: "chatcmpl-" + UUID().uuidString.lowercased(), created: Int(Date().timeIntervalSince1970), request: request,
                        events: events, promptTokens: { promptTokens.value })
    }

    /// A thread-safe integer set once by the worker and read by the responder.
    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var stored = 0
        func set(_ value: Int) { lock.withLock { stored = value } }
        var value: Int { lock.withLock { stored } }
    }
}
