import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSupport
import Testing
import WeightIO

/// `pdrop serve` on a loopback port with the tiny LLaVA-1.5 checkpoint: response shapes, a
/// streamed answer reassembled equal to the plain one (greedy) and to `pdrop run`'s, OpenAI
/// error objects with their statuses, the API key, the body limit, and SIGTERM.
@Suite(.serialized) struct ServeCommandTests {
    /// A running server; `stop()` sends SIGTERM and returns the exit status. Its stderr goes to
    /// a file (`errorOutput` reads it), for failure messages.
    final class Server: @unchecked Sendable {
        let process = Process()
        let port: Int
        private let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("pdrop-serve-\(UUID().uuidString).log")

        init(_ extra: [String] = [], maxNewTokens: Int = 16) throws {
            port = Int.random(in: 20_000..<60_000)
            process.executableURL = CommandRunner.pdrop
            process.arguments = ["serve", "--model", RunCommandTests.folder + "/tiny-llava-hf", "--port", "\(port)",
                                 "--max-new-tokens", "\(maxNewTokens)"] + extra
            process.standardOutput = FileHandle.nullDevice
            _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: errorFile)
            try process.run()
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                if let (status, _) = try? Self.request(port: port, "GET", "/health"), status == 200 { return }
                Thread.sleep(forTimeInterval: 0.1)
            }
            process.terminate()
            throw CocoaError(.fileReadUnknown)
        }

        func call(_ method: String, _ path: String, body: String? = nil, headers: [String: String] = [:]) throws -> (Int, String) {
            try Self.request(port: port, method, path, body: body, headers: headers)
        }

        static func request(port: Int, _ method: String, _ path: String, body: String? = nil,
                            headers: [String: String] = [:]) throws -> (Int, String) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            request.httpMethod = method
            request.httpBody = body.map { Data($0.utf8) }
            for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
            request.timeoutInterval = 60
            let done = DispatchSemaphore(value: 0)
            nonisolated(unsafe) var result: Result<(Int, String), Error> = .failure(CocoaError(.fileReadUnknown))
            URLSession.shared.dataTask(with: request) { data, response, error in
                if let error { result = .failure(error) } else {
                    result = .success(((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data ?? Data(), as: UTF8.self)))
                }
                done.signal()
            }.resume()
            done.wait()
            return try result.get()
        }

        func stop() -> Int32 {
            process.terminate()   // SIGTERM
            process.waitUntilExit()
            return process.terminationStatus
        }

        /// What the server wrote on stderr so far.
        var errorOutput: String { (try? String(contentsOf: errorFile, encoding: .utf8)) ?? "" }

        deinit { try? FileManager.default.removeItem(at: errorFile) }
    }

    static func chat(stream: Bool, content: String) -> String {
        "{\"messages\": [{\"role\": \"user\", \"content\": \(content)}], \"max_tokens\": 6, \"temperature\": 0, \"stream\": \(stream), "
            + "\"stream_options\": {\"include_usage\": true}, \"unknown_field\": 1}"
    }

    static var imageContent: String {
        let png = (try? Data(contentsOf: URL(fileURLWithPath: RunCommandTests.folder + "/sample.png")))?.base64EncodedString() ?? ""
        return "[{\"type\": \"image_url\", \"image_url\": {\"url\": \"data:image/png;base64,\(png)\"}}, "
            + "{\"type\": \"text\", \"text\": \"What is shown in this picture?\"}]"
    }

    /// The plain answer: an OpenAI chat.completion with usage (64 image tokens, PyramidDrop's
    /// stages); the same text as `pdrop run` on the same prompt; streamed chunks reassemble to it.
    @Test func answersPlainAndStreamed() throws {
        let server = try Server()
        defer { _ = server.stop() }
        let (status, body) = try server.call("POST", "/v1/chat/completions", body: Self.chat(stream: false, content: Self.imageContent))
        #expect(status == 200, "\(body)")
        let json = try JSON.parse(body, source: "response")
        #expect(try json.requireString("object") == "chat.completion")
        let choice = try #require(try json.requireArray("choices").first)
        let content = try choice.requireString("message", "content")
        #expect(try json.requireInt("usage", "completion_tokens") == 6)
        #expect(try json.requireInt("usage", "pdrop", "image_tokens") == 64)
        #expect(try json.requireInt("usage", "pdrop", "image_cache_hits") == 0)

        let run = try CommandRunner.run(["run", "--model", RunCommandTests.folder + "/tiny-llava-hf", "--image", RunCommandTests.folder + "/sample.png",
                                         "--prompt", "What is shown in this picture?", "--max-new-tokens", "6", "--json"])
        #expect(try JSON.parse(run.stdout, source: "run").requireString("text") == content)

        let (streamStatus, events) = try server.call("POST", "/v1/chat/completions", body: Self.chat(stream: true, content: Self.imageContent))
        #expect(streamStatus == 200)
        let lines = events.split(separator: "\n").filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
        #expect(lines.last == "[DONE]")
        let chunks = try lines.dropLast().map { try JSON.parse($0, source: "chunk") }
        let text = chunks.compactMap { $0["choices"]?.arrayValue?.first?.value(at: ["delta", "content"])?.stringValue }.joined()
        #expect(text == content)
        #expect(chunks.last?.value(at: ["usage", "completion_tokens"])?.intValue == 6)
        #expect(chunks.last?.value(at: ["usage", "pdrop", "image_cache_hits"])?.intValue == 1, "the same image again comes from the cache")

        let (metricsStatus, metrics) = try server.call("GET", "/metrics")
        #expect(metricsStatus == 200)
        for line in ["pdrop_requests_total{status=\"200\"} 2", "pdrop_completion_tokens_total 12", "pdrop_image_tokens_total 128",
                     "pdrop_image_tokens_kept_total 16", "pdrop_requests_running 0", "pdrop_images_total 2",
                     "pdrop_image_cache_hits_total 1", "pdrop_image_cache_entries 1"] {
            #expect(metrics.contains(line + "\n"), "\(line) in \(metrics)")
        }
    }

    /// Bad requests get OpenAI error objects with the right status, and the server keeps serving.
    @Test func errorsAreErrorObjects() throws {
        let server = try Server(["--api-key", "sekrit", "--max-body", "2KB"])
        let auth = ["Authorization": "Bearer sekrit"]
        #expect(try server.call("POST", "/v1/chat/completions", body: Self.chat(stream: false, content: "\"hi\"")).0 == 401)
        let cases: [(String, Int, String?)] = [
            ("{bad", 400, nil),
            ("{\"messages\": 3}", 400, "messages"),
            ("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"n\": 2}", 400, "n"),
            // DART's budget cannot be met by a prompt without image tokens: found in the prefill, still a 400.
            ("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"pdrop\": {\"policy\": \"dart\", \"budget\": 8}}", 400, "pdrop"),
            (Self.chat(stream: false, content: "\"" + String(repeating: "x", count: 4000) + "\""), 413, nil),
        ]
        for (body, status, param) in cases {
            let (got, text) = try server.call("POST", "/v1/chat/completions", body: body, headers: auth)
            #expect(got == status, "\(text)")
            let error = try JSON.parse(text, source: "error").requireObject("error")
            #expect(error["message"]?.stringValue?.isEmpty == false)
            if let param { #expect(error["param"]?.stringValue == param) }
        }
        #expect(try server.call("POST", "/v1/chat/completions", body: Self.chat(stream: false, content: "\"hi\""), headers: auth).0 == 200)
        let metrics = try server.call("GET", "/metrics").1
        #expect(metrics.contains("pdrop_errors_total{type=\"invalid_request_error\"} 5\n"), "\(metrics)")
        #expect(metrics.contains("pdrop_requests_total{status=\"413\"} 1\n"), "\(metrics)")
        #expect(server.stop() == 0, "\(server.errorOutput)")
    }

    /// A non-image, a truncated image, an image over `--max-image-pixels` (the 160 × 120 sample
    /// against 10 000) and a prompt past the 512-token context: each a 400 naming its code, and
    /// the next request is answered as if none had come.
    @Test func badImagesAndLongPromptsAre400s() throws {
        let server = try Server(["--max-image-pixels", "10000"])
        defer { _ = server.stop() }
        let png = try Data(contentsOf: URL(fileURLWithPath: RunCommandTests.folder + "/sample.png"))
        func image(_ bytes: Data) -> String {
            "[{\"type\": \"image_url\", \"image_url\": {\"url\": \"data:image/png;base64,\(bytes.base64EncodedString())\"}}, {\"type\": \"text\", \"text\": \"What?\"}]"
        }
        let cases: [(String, String?)] = [
            (image(Data("not an image".utf8)), nil),
            (image(png.prefix(png.count / 2)), nil),
            (image(png), "image_too_large"),
            ("\"" + String(repeating: "a b c ", count: 200) + "\"", "context_length_exceeded"),
        ]
        for (content, code) in cases {
            let (status, text) = try server.call("POST", "/v1/chat/completions", body: Self.chat(stream: false, content: content))
            #expect(status == 400, "\(text)")
            let error = try JSON.parse(text, source: "error").requireObject("error")
            #expect(error["type"]?.stringValue == "invalid_request_error", "\(text)")
            if let code { #expect(error["code"]?.stringValue == code, "\(text)") }
        }
        #expect(try server.call("POST", "/v1/chat/completions", body: Self.chat(stream: false, content: "\"hi\"")).0 == 200)
    }
}
