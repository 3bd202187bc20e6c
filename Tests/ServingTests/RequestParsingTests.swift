import PyramidDrop
import Serving
import Testing

@Suite struct RequestParsingTests {
    private func parse(_ body: String) throws -> ChatCompletionRequest { try ChatCompletionRequest(body: Array(body.utf8)) }

    @Test func readsEveryHonouredField() throws {
        let request = try parse("""
        {"model": "llava", "messages": [
          {"role": "system", "content": "Be brief."},
          {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA", "detail": "low"}},
                                       {"type": "text", "text": "What is it?"}]},
          {"role": "assistant", "content": "A square."},
          {"role": "user", "content": "Colour?"}],
         "max_tokens": 10, "max_completion_tokens": 20, "temperature": 0, "top_p": 0.9, "seed": 7,
         "stop": ["\\n", "END"], "stream": true, "stream_options": {"include_usage": true}, "n": 1,
         "pdrop": {"policy": "pdrop", "layers": [2, 4], "ratio": 0.25, "per_image_budget": true},
         "user": "someone", "frequency_penalty": 0, "tool_choice": "none", "logprobs": false,
         "response_format": {"type": "text"}, "modalities": ["text"]}
        """)
        #expect(request.model == "llava")
        #expect(request.messages.map(\.role) == [.system, .user, .assistant, .user])
        #expect(request.messages[1].parts == [.image(url: "data:image/png;base64,AAAA", detail: "low", param: "messages[1].content[0].image_url.url"),
                                              .text("What is it?")])
        #expect(request.maxTokens == 20)
        #expect(request.temperature == 0 && request.topP == 0.9 && request.seed == 7)
        #expect(request.stop == ["\n", "END"] && request.stream && request.includeUsage)
        #expect(request.images.map(\.param) == ["messages[1].content[0].image_url.url"])
        let pdrop = try #require(request.pdrop)
        #expect(pdrop.policy == "pdrop" && pdrop.layers == [2, 4] && pdrop.ratio == 0.25 && pdrop.perImageBudget == true)
        let policy = try pdrop.makePolicy(over: PolicyRequest("none"), layerCount: 8)
        #expect(policy is PerImagePolicy)
        #expect(request.sampler(fallbackSeed: 1).temperature == 0)
    }

    @Test func defaultsAreOpenAIs() throws {
        let request = try parse(ServingFixtures.body(#""max_tokens": 5"#))
        #expect(request.maxTokens == 5 && request.temperature == nil && request.topP == nil && request.stop == [])
        #expect(!request.stream && !request.includeUsage && request.pdrop == nil)
        let sampler = request.sampler(fallbackSeed: 3)
        #expect(sampler.temperature == 1 && sampler.topP == 1)
        #expect(try parse(ServingFixtures.body(#""stop": "@@""#)).stop == ["@@"])
    }

    @Test func unknownFieldsAreIgnored() throws {
        let request = try parse(ServingFixtures.body(#""metadata": {"x": 1}, "store": true, "whatever": [1, 2]"#))
        #expect(request.messages.count == 1)
        #expect(try parse(#"{"messages": [{"role": "user", "content": "hi", "name": "bob", "extra": 1}]}"#).messages.count == 1)
    }

    /// Each body, and the parameter its 400 names.
    static let errors: [(body: String, param: String?)] = [
        ("[1, 2]", nil),
        ("{\"messages\": ", nil),
        (ServingFixtures.body(#""n": 2"#), "n"),
        (ServingFixtures.body(#""n": "1""#), "n"),
        (ServingFixtures.body(#""tools": [{"type": "function"}]"#), "tools"),
        (ServingFixtures.body(#""tool_choice": "auto""#), "tool_choice"),
        (ServingFixtures.body(#""logprobs": true"#), "logprobs"),
        (ServingFixtures.body(#""top_logprobs": 2"#), "top_logprobs"),
        (ServingFixtures.body(#""response_format": {"type": "json_object"}"#), "response_format.type"),
        (ServingFixtures.body(#""audio": {"voice": "alloy"}"#), "audio"),
        (ServingFixtures.body(#""modalities": ["text", "audio"]"#), "modalities[1]"),
        ("{}", "messages"),
        (#"{"messages": []}"#, "messages"),
        (#"{"messages": {}}"#, "messages"),
        (#"{"messages": [5]}"#, "messages[0]"),
        (#"{"messages": [{"content": "hi"}]}"#, "messages[0].role"),
        (#"{"messages": [{"role": "tool", "content": "hi"}]}"#, "messages[0].role"),
        (#"{"messages": [{"role": "user"}]}"#, "messages[0].content"),
        (#"{"messages": [{"role": "user", "content": 3}]}"#, "messages[0].content"),
        (#"{"messages": [{"role": "user", "content": "a <image> b"}]}"#, "messages[0].content"),
        (#"{"messages": [{"role": "user", "content": [{"type": "audio"}]}]}"#, "messages[0].content[0].type"),
        (#"{"messages": [{"role": "user", "content": [{"type": "text", "text": 1}]}]}"#, "messages[0].content[0].text"),
        (#"{"messages": [{"role": "user", "content": "x"}, {"role": "user", "content": [{"type": "image_url", "image_url": {"url": 5}}]}]}"#,
         "messages[1].content[0].image_url.url"),
        (#"{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": "data:"}]}]}"#, "messages[0].content[0].image_url"),
        (#"{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x", "detail": "max"}}]}]}"#,
         "messages[0].content[0].image_url.detail"),
        (#"{"messages": [{"role": "system", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}"#, "messages[0].content[0].type"),
        (#"{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}"#, "messages[1].role"),
        (ServingFixtures.body(#""model": 3"#), "model"),
        (ServingFixtures.body(#""max_tokens": 0"#), "max_tokens"),
        (ServingFixtures.body(#""max_tokens": 1.5"#), "max_tokens"),
        (ServingFixtures.body(#""max_completion_tokens": -1"#), "max_completion_tokens"),
        (ServingFixtures.body(#""temperature": 2.5"#), "temperature"),
        (ServingFixtures.body(#""temperature": "hot""#), "temperature"),
        (ServingFixtures.body(#""top_p": 0"#), "top_p"),
        (ServingFixtures.body(#""seed": 1.5"#), "seed"),
        (ServingFixtures.body(#""stop": ["a", "b", "c", "d", "e"]"#), "stop"),
        (ServingFixtures.body(#""stop": [1]"#), "stop[0]"),
        (ServingFixtures.body(#""stream": "yes""#), "stream"),
        (ServingFixtures.body(#""stream_options": {"include_usage": 1}"#), "stream_options.include_usage"),
        (ServingFixtures.body(#""pdrop": "pdrop""#), "pdrop"),
        (ServingFixtures.body(#""pdrop": {"policy": "magic"}"#), "pdrop.policy"),
        (ServingFixtures.body(#""pdrop": {"policy": "pdrop", "budget": 64}"#), "pdrop.policy"),
        (ServingFixtures.body(#""pdrop": {"layers": [8, "16"]}"#), "pdrop.layers[1]"),
        (ServingFixtures.body(#""pdrop": {"ratio": 1.5}"#), "pdrop.ratio"),
        (ServingFixtures.body(#""pdrop": {"budget": 0}"#), "pdrop.budget"),
        (ServingFixtures.body(#""pdrop": {"per_image_budget": "yes"}"#), "pdrop.per_image_budget"),
        (ServingFixtures.body(#""pdrop": {"fastv_k": -1}"#), "pdrop.fastv_k"),
        (ServingFixtures.body(#""pdrop": {"fastv_ratio": 1}"#), "pdrop.fastv_ratio"),
    ]

    @Test(arguments: errors.indices)
    func parseErrorsNameTheirParam(_ index: Int) throws {
        let (body, param) = Self.errors[index]
        let error = try #require(ServingFixtures.error(body), "\(body)")
        #expect(error.status == 400 && error.type == "invalid_request_error", "\(body)")
        #expect(error.param == param, "\(body): \(error)")
        if let param { #expect(error.message.contains(param), "\(error.message)") }
    }

    @Test func duplicateKeysAndBadUTF8AreRefused() {
        #expect(ServingFixtures.error(#"{"messages": [], "messages": []}"#)?.code == "invalid_json")
        #expect(throws: APIError.self) { try ChatCompletionRequest(body: [0x7B, 0xFF, 0x7D]) }
    }

    @Test func policyTheModelCannotMeetIsA400() throws {
        let request = try parse(ServingFixtures.body(#""pdrop": {"policy": "pdrop", "layers": [40]}"#))
        do {
            _ = try request.pdrop!.makePolicy(over: PolicyRequest("none"), layerCount: 8)
            Issue.record("a boundary past the last layer was accepted")
        } catch {
            #expect(error.status == 400 && error.param == "pdrop")
        }
        let base = PolicyRequest("visionzip", budget: 128)
        #expect(PDropOptions().request(over: base) == base)
        let fastv = try parse(ServingFixtures.body(#""pdrop": {"policy": "fastv", "fastv_k": 3, "fastv_ratio": 0.75}"#)).pdrop!
        #expect(fastv.request(over: base).spelling == "fastv" && fastv.request(over: base).fastVK == 3)
        // The server's visionzip budget does not follow a request to a policy without one.
        #expect(fastv.request(over: base).budget == nil)
        _ = try fastv.makePolicy(over: base, layerCount: 8)
    }
}
