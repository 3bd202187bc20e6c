/// One message of a conversation, as a chat template sees it: a role and its parts in order
/// (text, or an image standing for one `<image>` placeholder).
public struct ChatTurn: Sendable, Equatable {
    /// Who speaks.
    public enum Role: String, Sendable {
        case system, user, assistant
    }

    /// A piece of a message.
    public enum Part: Sendable, Equatable {
        case text(String)
        case image
    }

    /// Who speaks.
    public var role: Role
    /// Text and images in the order the message gave them (templates put the images first).
    public var parts: [Part]

    public init(role: Role, parts: [Part]) {
        self.role = role
        self.parts = parts
    }

    /// The turn's images, in order.
    public var imageCount: Int { parts.filter { $0 == .image }.count }

    /// The turn's text parts, in order.
    public var texts: [String] {
        parts.compactMap { if case .text(let text) = $0 { text } else { nil } }
    }
}
