import Foundation
import PyramidDrop
import Tensors
import TestSupport
import Testing
import Transformer
import WeightIO

/// `GenerationQueue`: requests over one shared model interleave their decode steps, each still
/// equal to its reference (transformers' greedy ids; the PyramidDrop port's), a full queue
/// refuses, and a consumer that goes away frees its slot.
@Suite struct GenerationQueueTests {
    static func requests(_ name: String) throws -> (plain: GenerationQueue.Prepare, pdrop: GenerationQueue.Prepare, expected: SafeTensorsFile) {
        let prompts = try ReferencePrompts(name)
        let (model, plain, dropped, pdrop) = (prompts.model, prompts.plain, prompts.dropped, try prompts.pyramidDrop())
        return ({ try GenerationSession(generator: Generator(model: model), prompt: plain,
                                        options: GenerationOptions(maxNewTokens: 16, stopTokenIDs: []), betweenLayers: $0) },
                { try GenerationSession(generator: pdrop, prompt: dropped, options: GenerationOptions(maxNewTokens: 8, stopTokenIDs: []),
                                        betweenLayers: $0) },
                prompts.expected)
    }

    static func collect(_ stream: AsyncThrowingStream<GenerationEvent, Error>) async throws -> [Int] {
        var tokens: [Int] = []
        for try await event in stream {
            if case .token(let id) = event { tokens.append(id) }
        }
        return tokens
    }

    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var labels: [Int] = []
        func append(_ label: Int) { lock.withLock { labels.append(label) } }
        var all: [Int] { lock.withLock { labels } }
    }

    /// Two requests at once: each gets its reference tokens; the second's prefill runs while the
    /// first is running (its layers interleave with the first's decode steps).
    @Test func parallelRequestsInterleaveAndMatch() async throws {
        let (plain, pdrop, expected) = try Self.requests("llama")
        let queue = GenerationQueue(parallel: 2, maxQueue: 0)
        let log = Log()
        let gate = DispatchSemaphore(value: 0)   // the first is prepared only once the second is queued
        let a = try queue.submit { gate.wait(); return try plain($0) }
        let b = try queue.submit { between in try pdrop { log.append(queue.load.running); try between() } }
        gate.signal()
        async let first = Self.collect(a)
        async let second = Self.collect(b)
        let (x, y) = try await (first, second)
        #expect(x == (try expected.tensor("greedy_ids").integers))
        #expect(y == (try expected.tensor("pdrop_greedy").integers))
        #expect(log.all == [2, 2, 2, 2], "the first request ran through the second's 4 prefill layers (both hold a slot)")
        #expect(queue.close(deadline: Date().addingTimeInterval(10)))
    }

    /// `parallel + maxQueue` requests in: the next is refused with both counts; after `close()`
    /// every request is refused.
    @Test func fullQueueRefuses() async throws {
        let (plain, _, _) = try Self.requests("llama")
        let gate = DispatchSemaphore(value: 0)
        let queue = GenerationQueue(parallel: 1, maxQueue: 1)
        let held = try queue.submit { gate.wait(); return try plain($0) }
        let second = try queue.submit(plain)
        #expect(throws: GenerationQueueError.self) { _ = try queue.submit(plain) }
        gate.signal()
        for stream in [held, second] { for try await _ in stream {} }
        #expect(queue.close(deadline: Date().addingTimeInterval(10)))
        #expect(throws: GenerationQueueError.closed) { _ = try queue.submit(plain) }
    }

    /// A consumer that stops after one token frees its slot: the queue empties long before the
    /// request's 100,000-token limit.
    @Test func abandonedStreamFreesItsSlot() async throws {
        let (plain, _, _) = try Self.requests("qwen2")
        let model = try ModelFixtures.languageModel("qwen2")
        let endless: GenerationQueue.Prepare = {
            try GenerationSession(generator: Generator(model: model), prompt: TokenState(hidden: try model.embed([1, 2, 3]), isImage: [false, false, false]),
                                  options: GenerationOptions(maxNewTokens: 100_000, stopTokenIDs: []), betweenLayers: $0)
        }
        let queue = GenerationQueue(parallel: 1, maxQueue: 0)
        do {
            let stream = try queue.submit(endless)
            for try await event in stream { if case .token = event { break } }
        }
        let deadline = Date().addingTimeInterval(10)
        while queue.load != (0, 0) && Date() < deadline { try await Task.sleep(nanoseconds: 10_000_000) }
        #expect(queue.load == (0, 0))
        let again = try queue.submit(plain)   // the slot is free
        for try await _ in again {}
        #expect(queue.close(deadline: Date().addingTimeInterval(10)))
    }
}
