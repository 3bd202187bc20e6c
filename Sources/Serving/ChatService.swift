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
        /// The image cache's capacity in bytes (0: no cache).
        public var imageCacheBytes = 0

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
        /// What preparing the prompt found, known once the first event arrived.
        public let facts: @Sendable () -> PromptFacts
    }

    public let pipeline: LLaVAPipeline
    public let settings: Settings
    public let queue: GenerationQueue
    /// What `GET /metrics` reports.
    public let metrics = ServerMetrics()
    /// Image tokens by image content (nil when `imageCacheBytes` is 0).
    public let imageCache: ImageFeatureCache?
    private let template: PromptTemplate

    public init(pipeline: LLaVAPipeline, settings: Settings, queue: GenerationQueue) {
        self.pipeline = pipeline
        self.settings = settings
        self.queue = queue
        template = pipeline.model.checkpoint.defaultTemplate
        imageCache = settings.imageCacheBytes > 0 ? ImageFeatureCache(capacityBytes: settings.imageCacheBytes) : nil
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
        let pipeline = pipeline, cache = imageCache, context = pipeline.model.config.text.maxPositionEmbeddings
        let facts = FactsBox()
        let events: AsyncThrowingStream<GenerationEvent, Error>
        do {
            events = try queue.submit { betweenLayers in
                let state: TokenState, cachedImages: Int
                do {
                    (_, state, cachedImages) = try pipeline.prompt(text: text, images: images, policy: policy, cache: cache)
                } catch {
                    throw APIError.invalidRequest("\(error)", param: "messages")
                }
                let unpruned = state.unprunedCount
                facts.set(PromptFacts(promptTokens: unpruned, images: images.count, cachedImages: cachedImages))
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
                        events: events, facts: { facts.value })
    }

    /// Facts set once by the worker and read by the responder.
    private final class FactsBox: @unchecked Sendable {
        private let lock = NSLock()
        private var stored = PromptFacts()
        func set(_ value: PromptFacts) { lock.withLock { stored = value } }
        var value: PromptFacts { lock.withLock { stored } }
    }
}

/// What preparing a request's prompt found (zeros until the worker prepared it).
public struct PromptFacts: Sendable, Equatable {
    /// Prompt tokens before any pruning.
    public var promptTokens = 0
    /// Images in the conversation.
    public var images = 0
    /// Images whose tokens came from the image cache (no vision-tower pass).
    public var cachedImages = 0
}
