import Serving
import Testing
import WeightIO

@Suite struct ResponseTests {
    private let usage = Usage(promptTokens: 600, completionTokens: 5, imageTokens: 576, keptPerStage: [KeptStage(layer: 8, tokens: 288), KeptStage(layer: 16, tokens: 144)], imageCacheHits: 1)

    @Test func completionShape() throws {
        let json = ChatCompletionResponse(id: "chatcmpl-1", created: 1_700_000_000, model: "llava", content: "A cat.",
                                          finishReason: .stop, usage: usage).json
        #expect(json["object"] == .string("chat.completion") && json["id"] == .string("chatcmpl-1") && json["created"] == .int(1_700_000_000))
        let choice = try #require(json["choices"]?.arrayValue?.first)
        #expect(choice["index"] == .int(0) && choice["finish_reason"] == .string("stop"))
        #expect(choice["message"] == .object(["role": .string("assistant"), "content": .string("A cat.")]))
        #expect(json.value(at: ["usage", "total_tokens"]) == .int(605))
        #expect(json.value(at: ["usage", "pdrop", "image_cache_hits"]) == .int(1))
        #expect(json.value(at: ["usage", "pdrop", "image_tokens_kept"]) == .array([
            .object(["layer": .int(8), "tokens": .int(288)]), .object(["layer": .int(16), "tokens": .int(144)])]))
        // Reads back as the same JSON.
        #expect(try JSON.parse(json.serialized(), source: "response") == json)
    }

    @Test func streamedChunksAndFraming() throws {
        let chunks = ChatCompletionChunks(id: "chatcmpl-2", created: 5, model: "llava", includeUsage: true)
        let events = [chunks.role, chunks.content("Hel"), chunks.content("lo\n\"x\""), chunks.finish(.length), chunks.usage(usage)]
            .map(ServerSentEvents.event) + [ServerSentEvents.done]
        let stream = events.joined()
        #expect(stream.hasSuffix("\n\ndata: [DONE]\n\n"))
        let payloads = stream.components(separatedBy: "\n\n").dropLast().map { line -> String in
            #expect(line.hasPrefix("data: ") && !line.contains("\n"))
            return String(line.dropFirst(6))
        }
        #expect(payloads.count == 6 && payloads.last == "[DONE]")
        let parsed = try payloads.dropLast().map { try JSON.parse($0, source: "chunk") }
        #expect(parsed.allSatisfy { $0["object"] == .string("chat.completion.chunk") && $0["id"] == .string("chatcmpl-2") })
        let deltas = parsed.prefix(4).map { $0["choices"]!.arrayValue![0]["delta"]! }
        #expect(deltas[0]["role"] == .string("assistant"))
        #expect(deltas.compactMap { $0["content"]?.stringValue }.joined() == "Hello\n\"x\"")
        #expect(parsed[3]["choices"]!.arrayValue![0]["finish_reason"] == .string("length"))
        #expect(parsed.prefix(4).allSatisfy { $0["usage"] == .null })
        #expect(parsed[4]["choices"] == .array([]) && parsed[4].value(at: ["usage", "completion_tokens"]) == .int(5))
        #expect(ChatCompletionChunks(id: "c", created: 0, model: "m", includeUsage: false).role["usage"] == nil)
    }

    @Test func apiErrorBodies() throws {
        let error = APIError.invalidRequest("'n': only n = 1 is supported", param: "n", code: "unsupported_parameter")
        #expect(try JSON.parse(error.body, source: "error") == .object(["error": .object([
            "message": .string("'n': only n = 1 is supported"), "type": .string("invalid_request_error"),
            "param": .string("n"), "code": .string("unsupported_parameter")])]))
        #expect(APIError.serverError("boom").json.value(at: ["error", "param"]) == nil)
        #expect([APIError.unauthorized(), .notFound("no model"), .tooLarge(limit: 10), .rateLimited(), .serverError("x"), .unavailable("loading")]
            .map(\.status) == [401, 404, 413, 429, 500, 503])
    }
}
