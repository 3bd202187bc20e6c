import Tokenizer

/// Turns a request's generated ids into the text a client may see: streaming detokenisation,
/// then the request's stop strings (text after a stop is never sent).
public struct AnswerText: Sendable {
    private var decoder: StreamingDecoder
    private var stops: StopMatcher
    /// Text released so far.
    public private(set) var text = ""

    public init(tokenizer: Tokenizer, stop: [String]) {
        decoder = tokenizer.streamingDecoder()
        stops = StopMatcher(stop)
    }

    /// Whether a stop string ended the answer.
    public var stopped: Bool { stops.stopped }

    /// The text `id` releases (maybe empty), given that `isStopToken` ids are not shown.
    public mutating func next(_ id: Int, isStopToken: Bool) -> String {
        guard !isStopToken, !stops.stopped, let piece = decoder.next(id) else { return "" }
        let out = stops.feed(piece)
        text += out
        return out
    }

    /// What is still withheld once the answer ends (an incomplete byte run as U+FFFD, text that
    /// might have begun a stop string).
    public mutating func finish() -> String {
        guard !stops.stopped else { return "" }
        var out = stops.feed(decoder.finish())
        if !stops.stopped { out += stops.finish() }
        text += out
        return out
    }
}
