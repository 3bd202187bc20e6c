import Transformer
import WeightIO

/// A `POST /v1/chat/completions` body, checked. Unknown fields are ignored; known fields whose
/// values the server cannot honour (`n` > 1, `tools`, `logprobs`, …) and wrong types are
/// `APIError`s (400) naming the parameter.
public struct ChatCompletionRequest: Sendable, Equatable {
    /// The model asked for (the server decides whether it must match its own).
    public var model: String?
    /// The conversation, at least one message, not ending with the assistant's.
    public var messages: [ChatMessage]
    /// `max_completion_tokens`, else `max_tokens`; nil means the server's limit.
    public var maxTokens: Int?
    /// nil means the server's default (OpenAI's is 1 for both).
    public var temperature: Double?
    public var topP: Double?
    /// The sampler's seed; nil leaves it to the server.
    public var seed: Int?
    /// Up to 4 stop strings (empty ones dropped).
    public var stop: [String]
    /// Answer as server-sent events.
    public var stream: Bool
    /// `stream_options.include_usage`: a last chunk with the usage and no choices.
    public var includeUsage: Bool
    /// The `pdrop` extension object, if given.
    public var pdrop: PDropOptions?

    /// Parses a request body (its size is the caller's to bound).
    public init(body: [UInt8]) throws(APIError) {
        guard let text = String(validating: body, as: UTF8.self) else { throw .invalidRequest("the request body is not valid UTF-8") }
        let json: JSON
        do { json = try JSON.parse(text, source: "request body") } catch {
            throw .invalidRequest("we could not parse the JSON body of your request: \(error)", code: "invalid_json")
        }
        let root = RequestField(value: json, path: "")
        guard json.objectValue != nil else { throw .invalidRequest("the request body must be a JSON object, found \(json.kindName)") }
        try Self.refuseUnsupported(root)

        model = try root.member("model")?.string()
        let messageFields = try root.require("messages").array()
        guard !messageFields.isEmpty else {
            throw .invalidRequest("'messages' must hold at least one message", param: "messages", code: "empty_array")
        }
        messages = try messageFields.map { (field) throws(APIError) in try ChatMessage(field) }
        guard messages.last?.role != .assistant else {
            let param = "messages[\(messages.count - 1)].role"
            throw .invalidRequest("'\(param)': the last message must not be the assistant's (continuing an answer is not supported)",
                                  param: param, code: "unsupported_value")
        }

        let maxTokens = try Self.positive(root.member("max_tokens"))
        self.maxTokens = try Self.positive(root.member("max_completion_tokens")) ?? maxTokens
        if let field = root.member("temperature") {
            temperature = try field.number()
            guard (0...2).contains(temperature!) else { throw field.invalid("expected a number from 0 to 2") }
        }
        if let field = root.member("top_p") {
            topP = try field.number()
            guard topP! > 0, topP! <= 1 else { throw field.invalid("expected a number in (0, 1]") }
        }
        seed = try root.member("seed")?.int()
        stop = try Self.stopStrings(root.member("stop"))
        stream = try root.member("stream")?.bool() ?? false
        includeUsage = try root.member("stream_options")
            .map { (options) throws(APIError) in try options.requireObject(); return try options.member("include_usage")?.bool() ?? false } ?? false
        pdrop = try root.member("pdrop").map { (field) throws(APIError) in try PDropOptions(field) }
    }

    /// The images of the conversation in prompt order.
    public var images: [ImageReference] {
        messages.flatMap { message in
            message.parts.compactMap { if case let .image(url, detail, param) = $0 { ImageReference(url: url, detail: detail, param: param) } else { nil } }
        }
    }

    /// The sampler: temperature 0 is greedy; `seed`, else `fallbackSeed` (a server's per-request
    /// random seed), seeds it. Unset temperature and top-p take the given defaults.
    public func sampler(defaultTemperature: Double = 1, defaultTopP: Double = 1, fallbackSeed: UInt64) -> Sampler {
        Sampler(temperature: Float(temperature ?? defaultTemperature), topP: Float(topP ?? defaultTopP),
                seed: seed.map { UInt64(bitPattern: Int64($0)) } ?? fallbackSeed)
    }

    /// Known parameters asking for what a LLaVA server on this runtime does not do.
    private static func refuseUnsupported(_ root: RequestField) throws(APIError) {
        func unsupported(_ field: RequestField, _ reason: String) -> APIError {
            field.invalid(reason, code: "unsupported_parameter")
        }
        if let n = root.member("n"), try n.int() != 1 { throw unsupported(n, "only n = 1 is supported") }
        if let tools = root.member("tools"), try !tools.array().isEmpty { throw unsupported(tools, "tools are not supported") }
        if let functions = root.member("functions") { throw unsupported(functions, "functions are not supported") }
        if let choice = root.member("tool_choice"), choice.value != .string("none") {
            throw unsupported(choice, "tool_choice is not supported (tools are not)")
        }
        if let logprobs = root.member("logprobs"), try logprobs.bool() { throw unsupported(logprobs, "logprobs are not supported") }
        if let top = root.member("top_logprobs") { throw unsupported(top, "top_logprobs is not supported (logprobs are not)") }
        if let format = root.member("response_format") {
            try format.requireObject()
            let type = try format.require("type")
            guard try type.string() == "text" else { throw unsupported(type, "only the text response format is supported") }
        }
        if let audio = root.member("audio") { throw unsupported(audio, "audio output is not supported") }
        if let modalities = root.member("modalities") {
            for modality in try modalities.array() where try modality.string() != "text" {
                throw unsupported(modality, "only the text modality is supported")
            }
        }
    }

    private static func positive(_ field: RequestField?) throws(APIError) -> Int? {
        guard let field else { return nil }
        let value = try field.int()
        guard value > 0 else { throw field.invalid("expected a positive integer") }
        return value
    }

    private static func stopStrings(_ field: RequestField?) throws(APIError) -> [String] {
        guard let field else { return [] }
        if case .string(let stop) = field.value { return stop.isEmpty ? [] : [stop] }
        let items = try field.array()
        guard items.count <= 4 else { throw field.invalid("at most 4 stop strings") }
        return try items.map { (item) throws(APIError) in try item.string() }.filter { !$0.isEmpty }
    }
}

/// An image of a request: its URL and where it sits (`messages[0].content[1].image_url.url`).
public struct ImageReference: Sendable, Equatable {
    /// A `data:` URL, a `file://` URL or a path.
    public var url: String
    /// OpenAI's `detail` (`auto`, `low`, `high`); LLaVA's preprocessing does not depend on it.
    public var detail: String?
    /// The URL's parameter path, named by errors about the image.
    public var param: String

    public init(url: String, detail: String? = nil, param: String) {
        self.url = url
        self.detail = detail
        self.param = param
    }
}
