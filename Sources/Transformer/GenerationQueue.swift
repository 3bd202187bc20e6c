import Foundation

/// What a queued request yields: its tokens as they come, then the whole result.
public enum GenerationEvent: Sendable {
    case token(Int)
    case finished(GenerationResult)
}

/// Why a request was not queued.
public enum GenerationQueueError: Error, Equatable, CustomStringConvertible {
    /// `parallel` requests run and `maxQueue` wait already.
    case full(running: Int, waiting: Int)
    /// The queue is draining for shutdown.
    case closed

    public var description: String {
        switch self {
        case let .full(running, waiting): return "the server is busy: \(running) requests running and \(waiting) waiting"
        case .closed: return "the server is shutting down"
        }
    }
}

/// Runs generation requests over one shared, read-only model on one worker thread (the kernels
/// use every core themselves): up to `parallel` requests at once, stepped together (one pass over
/// the weights per step for all of them, `GenerationSession.step`), so every running stream
/// advances; a new request's prefill runs their decode steps between its layers, so a long
/// prompt never freezes the others. At most `maxQueue` more wait; beyond that
/// `submit` throws `.full`. A consumer that stops iterating its stream (a client that went away)
/// frees its slot at the next step or layer.
public final class GenerationQueue: @unchecked Sendable {
    /// Builds a request's session (vision tower, policy, prefill) on the worker; it must call
    /// `betweenLayers` after each prefill layer (pass it to `GenerationSession.init`).
    public typealias Prepare = @Sendable (_ betweenLayers: () throws -> Void) throws -> GenerationSession

    public let parallel: Int
    public let maxQueue: Int

    private final class Request: @unchecked Sendable {
        let prepare: Prepare
        let continuation: AsyncThrowingStream<GenerationEvent, Error>.Continuation
        var session: GenerationSession?
        var cancelled = false   // guarded by the queue's lock

        init(prepare: @escaping Prepare, continuation: AsyncThrowingStream<GenerationEvent, Error>.Continuation) {
            self.prepare = prepare
            self.continuation = continuation
        }
    }

    private let condition = NSCondition()
    private var waiting: [Request] = []
    private var running: [Request] = []
    /// The request being prepared (counted as running: it holds a slot).
    private var preparing: Request?
    private var closed = false

    /// A queue running up to `parallel` requests (≥ 1) with up to `maxQueue` (≥ 0) waiting.
    public init(parallel: Int, maxQueue: Int) {
        precondition(parallel >= 1 && maxQueue >= 0, "GenerationQueue: parallel \(parallel) must be ≥ 1, maxQueue \(maxQueue) ≥ 0")
        self.parallel = parallel
        self.maxQueue = maxQueue
        let thread = Thread { self.work() }   // the worker holds the queue until `close()` has drained it
        thread.name = "pdrop-generation"
        thread.start()
    }

    /// Requests running and waiting now.
    public var load: (running: Int, waiting: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (running.count + (preparing == nil ? 0 : 1), waiting.count)
    }

    /// Queues a request; its events arrive on the returned stream, which ends after `.finished`
    /// or with the error the preparation or a step threw. Throws `.full` when `parallel + maxQueue`
    /// requests are already in, `.closed` after `close()`.
    public func submit(_ prepare: @escaping Prepare) throws -> AsyncThrowingStream<GenerationEvent, Error> {
        var continuation: AsyncThrowingStream<GenerationEvent, Error>.Continuation!
        let stream = AsyncThrowingStream<GenerationEvent, Error> { continuation = $0 }
        let request = Request(prepare: prepare, continuation: continuation)
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { throw GenerationQueueError.closed }
        let busy = running.count + (preparing == nil ? 0 : 1)
        guard busy + waiting.count < parallel + maxQueue else {
            throw GenerationQueueError.full(running: busy, waiting: waiting.count)
        }
        waiting.append(request)
        continuation.onTermination = { [weak self, weak request] termination in
            guard case .cancelled = termination, let self, let request else { return }
            self.condition.lock()
            request.cancelled = true
            self.condition.broadcast()
            self.condition.unlock()
        }
        condition.signal()
        return stream
    }

    /// Refuses new requests and waits until the running and waiting ones have finished, or until
    /// `deadline`; returns whether everything finished. The worker thread ends once they have.
    @discardableResult
    public func close(deadline: Date = .distantFuture) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        closed = true
        condition.broadcast()
        while !(running.isEmpty && waiting.isEmpty && preparing == nil) {
            if !condition.wait(until: deadline) { return false }
        }
        return true
    }

    private struct Cancelled: Error {}

    private func work() {
        while true {
            condition.lock()
            while true {
                running.removeAll { $0.cancelled }
                waiting.removeAll { $0.cancelled }
                guard running.isEmpty && waiting.isEmpty else { break }
                condition.broadcast()          // wakes close()
                if closed {
                    condition.unlock()
                    return
                }
                condition.wait()
            }
            let admit = running.count < parallel && !waiting.isEmpty ? waiting.removeFirst() : nil
            preparing = admit
            condition.unlock()
            if let admit { self.admit(admit) }
            stepRunning()
        }
    }

    /// Prepares `request`; the running requests' decode steps run between its prefill layers (it
    /// joins them only once prepared).
    private func admit(_ request: Request) {
        do {
            let session = try request.prepare { [self] in
                if isCancelled(request) { throw Cancelled() }
                stepRunning()
            }
            request.session = session
            condition.lock()
            running.append(request)
            preparing = nil
            condition.unlock()
        } catch {
            if !(error is Cancelled) { request.continuation.finish(throwing: error) }
            condition.lock()
            preparing = nil
            condition.broadcast()
            condition.unlock()
        }
    }

    private func isCancelled(_ request: Request) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return request.cancelled
    }

    /// One decode step of every running request — together, each weight read once for all of
    /// them (`GenerationSession.step`) — retiring the finished ones before their last event, so
    /// a client that has its whole answer finds the slot already free. The sessions are moved out
    /// of their requests while they step (a copy left behind would make every KV append copy the
    /// cache). A step can only fail on an internal error; then every request of the step fails.
    private func stepRunning() {
        condition.lock()
        let batch = running.filter { !$0.cancelled && $0.session != nil }
        condition.unlock()
        var sessions = batch.map { request in
            defer { request.session = nil }
            return request.session!
        }
        let tokens: [Int?]
        do {
            tokens = try GenerationSession.step(&sessions)
        } catch {
            for request in batch {
                retire(request)
                request.continuation.finish(throwing: error)
            }
            return
        }
        for (request, (session, token)) in zip(batch, zip(sessions, tokens)) {
            request.session = session
            if let token { request.continuation.yield(.token(token)) }
            if session.isFinished {
                retire(request)
                request.continuation.yield(.finished(session.result))
                request.continuation.finish()
            }
        }
    }

    /// Frees `request`'s slot.
    private func retire(_ request: Request) {
        condition.lock()
        running.removeAll { $0 === request }
        condition.broadcast()
        condition.unlock()
    }
}
