import Foundation
import TestSupport
import Testing
import WeightIO

/// `pdrop serve --parallel 1 --max-queue 0` under load on the tiny LLaVA-1.5 checkpoint: requests
/// beyond the one slot get 429 with `Retry-After` while every accepted one gets its whole answer,
/// and a client that goes away mid-stream frees the slot at once, long before its generation
/// would have ended.
@Suite(.serialized) struct ServeConcurrencyTests {
    typealias Server = ServeCommandTests.Server
    /// Tokens per answer: about a second of decoding in a debug build, so requests overlap.
    static let tokens = 420

    static func chat(stream: Bool) -> String {
        "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": \(tokens), \"temperature\": 0, \"stream\": \(stream)}"
    }

    static func startServer() throws -> Server {
        try Server(["--parallel", "1", "--max-queue", "0"], maxNewTokens: tokens)
    }

    @Test func aFullQueueAnswers429AndLosesNothing() throws {
        let server = try Self.startServer()
        defer { _ = server.stop() }
        let connections = try (0..<6).map { _ in try RawHTTPConnection(port: server.port) }
        for connection in connections { try connection.post("/v1/chat/completions", body: Self.chat(stream: false)) }
        let responses = try connections.map { try $0.response() }
        let answered = responses.filter { $0.status == 200 }, refused = responses.filter { $0.status == 429 }
        #expect(answered.count + refused.count == responses.count, "statuses \(responses.map(\.status))")
        #expect(!answered.isEmpty && !refused.isEmpty, "statuses \(responses.map(\.status))")
        for response in answered {
            #expect(try JSON.parse(response.body, source: "answer").requireInt("usage", "completion_tokens") == Self.tokens)
        }
        for response in refused {
            #expect(response.headers["retry-after"] == "1")
            let error = try JSON.parse(response.body, source: "429").requireObject("error")
            #expect(error["type"]?.stringValue == "rate_limit_error")
        }
        let metrics = try server.call("GET", "/metrics").1
        #expect(metrics.contains("pdrop_requests_total{status=\"429\"} \(refused.count)\n"), "\(metrics)")
        #expect(try server.call("POST", "/v1/chat/completions", body: Self.chat(stream: false)).0 == 200, "the slot is free again")
    }

    @Test func aClientLeavingMidStreamFreesItsSlot() throws {
        let server = try Self.startServer()
        defer { _ = server.stop() }
        let started = Date()
        let (status, body) = try server.call("POST", "/v1/chat/completions", body: Self.chat(stream: false))
        let whole = Date().timeIntervalSince(started)
        try #require(status == 200, "\(body)")
        try #require(try JSON.parse(body, source: "answer").requireInt("usage", "completion_tokens") == Self.tokens,
                     "the premise: this prompt runs to max_tokens")

        var client: RawHTTPConnection? = try RawHTTPConnection(port: server.port)
        try client!.post("/v1/chat/completions", body: Self.chat(stream: true))
        try #require(try client!.read(until: "\"content\""), "a first content chunk")
        client = nil   // closes the connection mid-stream
        let left = Date()
        func running() throws -> Bool { try server.call("GET", "/metrics").1.contains("pdrop_requests_running 1\n") }
        while try running(), Date().timeIntervalSince(left) < whole { Thread.sleep(forTimeInterval: 0.01) }
        let freed = Date().timeIntervalSince(left)
        #expect(freed < whole / 2, "slot freed \(freed) s after the client left; a whole answer takes \(whole) s")
        let metrics = try server.call("GET", "/metrics").1
        #expect(metrics.contains("pdrop_disconnects_total 1\n"), "\(metrics)")
        #expect(try server.call("POST", "/v1/chat/completions", body: Self.chat(stream: false)).0 == 200, "the slot is free again")
    }
}
