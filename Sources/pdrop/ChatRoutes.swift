import Foundation
import Hummingbird
import Serving
import Transformer
import WeightIO

/// The HTTP face of a `ChatService`: `POST /v1/chat/completions` (JSON or server-sent events),
/// `GET /v1/models`, `GET /health`; every error an OpenAI error object with its status.
struct ChatRoutes: Sendable {
    let service: ChatService
    let apiKey: String?
    let maxBody: Int

    var router: Router<BasicRequestContext> {
        let router = Router()
        router.get("health") { _, _ in Self.json(.object(["status": .string("ok")])) }
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: service.metrics.text(load: service.queue.load, cache: service.imageCache?.statistics))))
        }
        router.get("v1/models") { _, _ in
            Self.json(.object(["object": .string("list"), "data": .array([.object([
                "id": .string(service.settings.modelName), "object": .string("model"), "owned_by": .string("pdrop")])])]))
        }
        router.post("v1/chat/completions") { request, context in
            do {
                return try await complete(request, context: context)
            } catch let error as APIError {
                service.metrics.record(status: error.status, errorType: error.type)
                return Self.error(error)
            }
        }
        return router
    }

    private func complete(_ request: Request, context: BasicRequestContext) async throws -> Response {
        if let apiKey, request.headers[.authorization] != "Bearer \(apiKey)" { throw APIError.unauthorized() }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBody)
        } catch {
            throw APIError.tooLarge(limit: maxBody)
        }
        let accepted = try service.accept(body: Array(buffer: body))
        let events = EventSource(accepted.events)
        let first: GenerationEvent?
        do {
            first = try await events.next()
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.serverError("\(error)")
        }
        let reply = ChatReply(service: service, accepted: accepted)
        if accepted.request.stream {
            return Response(status: .ok, headers: [.contentType: ServerSentEvents.contentType, .cacheControl: "no-cache"],
                            body: ResponseBody { writer in
                                var reply = reply
                                var event = first
                                // A write fails when the client went away: leaving drops the events, which cancels
                                // the generation and frees its slot.
                                func send(_ text: String) async throws {
                                    do { try await writer.write(ByteBuffer(string: text)) } catch {
                                        service.metrics.recordDisconnect()
                                        throw error
                                    }
                                }
                                try await send(ServerSentEvents.event(reply.chunks.role))
                                while let current = event {
                                    for text in reply.streamed(current) { try await send(text) }
                                    if reply.done {
                                        service.record(reply)
                                        break
                                    }
                                    event = try await events.next()
                                }
                                try await writer.finish(nil)
                            })
        }
        var collected = reply
        var event = first
        while let current = event, !collected.done {
            collected.absorb(current)
            event = collected.done ? nil : try await events.next()
        }
        service.record(collected)
        return Self.json(collected.response)
    }

    static func json(_ value: JSON, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: value.serialized())))
    }

    static func error(_ error: APIError) -> Response {
        var response = json(error.json, status: HTTPResponse.Status(code: error.status))
        if error.status == 429 { response.headers[.retryAfter] = "1" }
        return response
    }
}

/// One request's event stream read by one task at a time (first by the handler, then by the
/// response body's writer): the iterator handed over in a box, never copied.
private final class EventSource: @unchecked Sendable {
    private var iterator: AsyncThrowingStream<GenerationEvent, Error>.AsyncIterator

    init(_ stream: AsyncThrowingStream<GenerationEvent, Error>) {
        iterator = stream.makeAsyncIterator()
    }

    func next() async throws -> GenerationEvent? {
        try await iterator.next()
    }
}
