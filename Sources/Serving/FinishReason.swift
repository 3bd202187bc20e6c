/// Why generation ended.
public enum FinishReason: String, Sendable {
    /// An end-of-sequence token or a stop string.
    case stop
    /// The token limit.
    case length
}
