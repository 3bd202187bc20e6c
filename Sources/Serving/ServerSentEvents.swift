import WeightIO

/// Server-sent-event framing of a streamed answer: each chunk as `data: <json>\n\n`, the stream
/// closed by `data: [DONE]\n\n`.
public enum ServerSentEvents {
    /// The event carrying `json` (one line: our serialisation escapes newlines in strings).
    public static func event(_ json: JSON) -> String { "data: \(json.serialized())\n\n" }

    /// The last event of a stream.
    public static let done = "data: [DONE]\n\n"

    /// The content type of the response.
    public static let contentType = "text/event-stream"
}
