import Foundation
import TestSupport
import Testing
import WeightIO

/// `pdrop serve`'s image cache and multi-turn conversations on the tiny LLaVA-1.5 checkpoint: a
/// second question about an image skips the tower and answers exactly as an uncached run (tower
/// evidence for VisionZip included); `--image-cache-mb 0` turns it off; a conversation's earlier
/// turns and their images are honoured as `pdrop run` on the template's rendering.
@Suite(.serialized) struct ServeImageCacheTests {
    typealias Server = ServeCommandTests.Server

    static func chat(_ content: String, pdrop: String) -> String {
        "{\"messages\": [{\"role\": \"user\", \"content\": \(content)}], \"max_tokens\": 6, \"temperature\": 0, \"pdrop\": \(pdrop)}"
    }

    /// Answer text and cache hits of a request that must succeed.
    static func ask(_ server: Server, _ body: String) throws -> (text: String, hits: Int) {
        let (status, text) = try server.call("POST", "/v1/chat/completions", body: body)
        try #require(status == 200, "\(text)")
        let json = try JSON.parse(text, source: "response")
        return (try #require(try json.requireArray("choices").first).requireString("message", "content"),
                try json.requireInt("usage", "pdrop", "image_cache_hits"))
    }

    static func run(_ policy: [String]) throws -> String {
        let out = try CommandRunner.run(["run", "--model", RunCommandTests.folder + "/tiny-llava-hf", "--image", RunCommandTests.folder + "/sample.png",
                                         "--prompt", "What is shown in this picture?", "--max-new-tokens", "6", "--json"] + policy)
        return try JSON.parse(out.stdout, source: "run").requireString("text")
    }

    /// PyramidDrop needs only features; VisionZip also the tower's [CLS] attention and keys, so its
    /// first request recomputes the entry with them; from then on both policies hit.
    @Test func hitsAnswerAsUncachedRuns() throws {
        let server = try Server()
        defer { _ = server.stop() }
        let image = ServeCommandTests.imageContent
        let pdrop = "{\"policy\": \"pdrop\"}", visionzip = "{\"policy\": \"visionzip\", \"budget\": 16}"
        let first = try Self.ask(server, Self.chat(image, pdrop: pdrop))
        let zipFirst = try Self.ask(server, Self.chat(image, pdrop: visionzip))
        let zipAgain = try Self.ask(server, Self.chat(image, pdrop: visionzip))
        let again = try Self.ask(server, Self.chat(image, pdrop: pdrop))
        let hits: [Int] = [first.hits, zipFirst.hits, zipAgain.hits, again.hits]
        #expect(hits == [0, 0, 1, 1])
        #expect(again.text == first.text)
        #expect(zipAgain.text == zipFirst.text)
        #expect(zipAgain.text == (try Self.run(["--policy", "visionzip", "--budget", "16"])))
        #expect(first.text == (try Self.run(["--policy", "pdrop"])))
        let metrics = try server.call("GET", "/metrics").1
        for line in ["pdrop_image_cache_hits_total 2", "pdrop_image_cache_entries 1", "pdrop_images_total 4"] {
            #expect(metrics.contains(line + "\n"), "\(line) in \(metrics)")
        }
    }

    @Test func aZeroSizedCacheIsOff() throws {
        let server = try Server(["--image-cache-mb", "0"])
        defer { _ = server.stop() }
        let body = Self.chat(ServeCommandTests.imageContent, pdrop: "{\"policy\": \"pdrop\"}")
        #expect(try Self.ask(server, body).hits == 0)
        #expect(try Self.ask(server, body).hits == 0)
        let metrics = try server.call("GET", "/metrics").1
        #expect(metrics.contains("pdrop_image_cache_hits_total 0\n"))
        #expect(!metrics.contains("pdrop_image_cache_entries"))
    }

    /// The multi-turn case of the chat-template fixture (system, user + image, assistant, user +
    /// image): the server's greedy answer equals `pdrop run` on transformers' rendering of it.
    @Test func earlierTurnsAndTheirImagesCount() throws {
        let fixture = try JSON.parse(String(contentsOfFile: Fixtures.path("serving/chat_templates.json"), encoding: .utf8), source: "fixture")
        let multiTurn = try #require(try fixture.requireArray("cases").first { $0["name"]?.stringValue == "multi-turn" })
        let images = [RunCommandTests.folder + "/sample.png", RunCommandTests.folder + "/sample.jpg"]
        var used = 0
        var messages: [String] = []
        for message in try multiTurn.requireArray("messages") {
            let parts = try message.requireArray("content").map { part -> String in
                if part["type"]?.stringValue == "image" {
                    let path = images[used]
                    used += 1
                    let data = try Data(contentsOf: URL(fileURLWithPath: path))
                    let type = path.hasSuffix(".png") ? "png" : "jpeg"
                    return "{\"type\": \"image_url\", \"image_url\": {\"url\": \"data:image/\(type);base64,\(data.base64EncodedString())\"}}"
                }
                return "{\"type\": \"text\", \"text\": \(JSON.string(try part.requireString("text")).serialized())}"
            }
            messages.append("{\"role\": \"\(try message.requireString("role"))\", \"content\": [\(parts.joined(separator: ", "))]}")
        }
        let server = try Server()
        defer { _ = server.stop() }
        let body = "{\"messages\": [\(messages.joined(separator: ", "))], \"max_tokens\": 6, \"temperature\": 0, \"pdrop\": {\"policy\": \"none\"}}"
        let (status, text) = try server.call("POST", "/v1/chat/completions", body: body)
        try #require(status == 200, "\(text)")
        let json = try JSON.parse(text, source: "response")
        #expect(try json.requireInt("usage", "pdrop", "image_tokens") == 128)
        let rendered = try multiTurn.requireString("rendered", "llava-hf")
        let run = try CommandRunner.run(["run", "--model", RunCommandTests.folder + "/tiny-llava-hf", "--image", images[0], "--image", images[1],
                                         "--template", "raw", "--prompt", rendered, "--policy", "none", "--max-new-tokens", "6", "--json"])
        let expected = try JSON.parse(run.stdout, source: "run")
        #expect(try #require(try json.requireArray("choices").first).requireString("message", "content") == expected.requireString("text"))
        // run counts each image slot as one prompt piece; the server counts its 64 tokens.
        #expect(try json.requireInt("usage", "prompt_tokens") == expected.requireInt("prompt_tokens") + 2 * (64 - 1))
    }
}
