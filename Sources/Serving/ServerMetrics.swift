import Foundation
import LLaVA
import Transformer

/// The server's counters in the Prometheus text format (`GET /metrics`): requests by status,
/// errors by type, queue depth, prefill and decode seconds, prompt and completion tokens, image
/// tokens entering the decoder and kept after the last stage.
public final class ServerMetrics: @unchecked Sendable {
    private let lock = NSLock()
    private var requests: [Int: Int] = [:]
    private var errors: [String: Int] = [:]
    private var prefillSeconds = 0.0, decodeSeconds = 0.0
    private var promptTokens = 0, completionTokens = 0, imageTokens = 0, imageTokensKept = 0
    private var images = 0, cachedImages = 0, disconnects = 0

    public init() {}

    /// Counts one answered request (`status` 200) or refused one (its error type).
    public func record(status: Int, errorType: String? = nil) {
        lock.withLock {
            requests[status, default: 0] += 1
            if let errorType { errors[errorType, default: 0] += 1 }
        }
    }

    /// Counts a client that went away before its streamed answer was complete.
    public func recordDisconnect() {
        lock.withLock { disconnects += 1 }
    }

    /// Adds a finished generation's times, token counts and image-cache hits.
    public func record(_ result: GenerationResult, facts: PromptFacts) {
        lock.withLock {
            images += facts.images
            cachedImages += facts.cachedImages
            prefillSeconds += result.prefillSeconds
            decodeSeconds += result.decodeSeconds
            promptTokens += facts.promptTokens
            completionTokens += result.tokens.count
            imageTokens += result.trace.imageTokens
            imageTokensKept += result.trace.stages.last?.count ?? result.trace.imageTokens
        }
    }

    /// The exposition text, with the queue's current load and the image cache's state.
    public func text(load: (running: Int, waiting: Int), cache: ImageFeatureCache.Statistics? = nil) -> String {
        lock.withLock {
            var lines: [String] = []
            func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: String)]) {
                lines += ["# HELP \(name) \(help)", "# TYPE \(name) \(type)"] + samples.map { "\(name)\($0.labels) \($0.value)" }
            }
            metric("pdrop_requests_total", "counter", "Chat-completion requests by HTTP status.",
                   requests.keys.sorted().map { ("{status=\"\($0)\"}", "\(requests[$0]!)") })
            metric("pdrop_errors_total", "counter", "Refused requests by error type.",
                   errors.keys.sorted().map { ("{type=\"\($0)\"}", "\(errors[$0]!)") })
            metric("pdrop_disconnects_total", "counter", "Streamed requests whose client went away before the end.", [("", "\(disconnects)")])
            metric("pdrop_requests_running", "gauge", "Requests generating now.", [("", "\(load.running)")])
            metric("pdrop_requests_waiting", "gauge", "Requests waiting in the queue.", [("", "\(load.waiting)")])
            metric("pdrop_prefill_seconds_total", "counter", "Seconds spent in prefill.", [("", "\(prefillSeconds)")])
            metric("pdrop_decode_seconds_total", "counter", "Seconds spent in decode steps.", [("", "\(decodeSeconds)")])
            metric("pdrop_prompt_tokens_total", "counter", "Prompt tokens before pruning.", [("", "\(promptTokens)")])
            metric("pdrop_completion_tokens_total", "counter", "Generated tokens.", [("", "\(completionTokens)")])
            metric("pdrop_image_tokens_total", "counter", "Image tokens of the prompts.", [("", "\(imageTokens)")])
            metric("pdrop_image_tokens_kept_total", "counter", "Image tokens alive after the policy's last stage.", [("", "\(imageTokensKept)")])
            metric("pdrop_images_total", "counter", "Images of answered requests.", [("", "\(images)")])
            metric("pdrop_image_cache_hits_total", "counter", "Images of answered requests whose tokens came from the image cache.",
                   [("", "\(cachedImages)")])
            if let cache {
                metric("pdrop_image_cache_entries", "gauge", "Images held by the image cache.", [("", "\(cache.entries)")])
                metric("pdrop_image_cache_bytes", "gauge", "Bytes held by the image cache.", [("", "\(cache.bytes)")])
                metric("pdrop_image_cache_evictions_total", "counter", "Images evicted from the image cache.", [("", "\(cache.evictions)")])
            }
            return lines.joined(separator: "\n") + "\n"
        }
    }
}
