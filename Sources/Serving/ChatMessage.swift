import LLaVA

/// One message of a chat-completions request.
public struct ChatMessage: Sendable, Equatable {
    /// A piece of a message's content.
    public enum Part: Sendable, Equatable {
        case text(String)
        /// An `image_url` part: the URL, its `detail` (`auto`, `low`, `high`; not used by LLaVA) and
        /// the parameter path of the URL, for errors about the image.
        case image(url: String, detail: String?, param: String)
    }

    /// `system` (also for OpenAI's `developer`), `user` or `assistant`.
    public var role: ChatTurn.Role
    /// The content: a string content is one text part.
    public var parts: [Part]

    public init(role: ChatTurn.Role, parts: [Part]) {
        self.role = role
        self.parts = parts
    }

    /// Parses `messages[index]`: a role and a content string or array of `text` / `image_url` parts.
    init(_ field: RequestField) throws(APIError) {
        try field.requireObject()
        let roleField = try field.require("role")
        let roleName = try roleField.string()
        // `developer` is the newer OpenAI name of the system role.
        guard let role = roleName == "developer" ? .system : ChatTurn.Role(rawValue: roleName) else {
            throw roleField.invalid("role '\(roleName)' is not supported (system, developer, user or assistant; no tool messages)",
                                    code: "unsupported_value")
        }
        self.role = role
        let content = try field.require("content")
        if case .string(let text) = content.value {
            parts = [.text(try Self.checked(text, content))]
            return
        }
        var parts: [Part] = []
        for part in try content.array() {
            try part.requireObject()
            let typeField = try part.require("type")
            switch try typeField.string() {
            case "text":
                let text = try part.require("text")
                parts.append(.text(try Self.checked(try text.string(), text)))
            case "image_url":
                guard role == .user else {
                    throw typeField.invalid("images are only accepted in user messages", code: "unsupported_value")
                }
                let image = try part.require("image_url")
                try image.requireObject()
                let url = try image.require("url")
                let detail = try image.member("detail")?.string()
                if let detail, !["auto", "low", "high"].contains(detail) {
                    throw image.member("detail")!.invalid("expected auto, low or high")
                }
                parts.append(.image(url: try url.string(), detail: detail, param: url.path))
            case let other:
                throw typeField.invalid("content part type '\(other)' is not supported (text or image_url)", code: "unsupported_value")
            }
        }
        self.parts = parts
    }

    /// The turn a chat template renders (images stand for one `<image>` each).
    public var turn: ChatTurn {
        ChatTurn(role: role, parts: parts.map { if case .text(let text) = $0 { .text(text) } else { .image } })
    }

    /// Refuses text holding the image placeholder, which would make an image slot with no image.
    private static func checked(_ text: String, _ field: RequestField) throws(APIError) -> String {
        guard !text.contains(PromptTemplate.imagePlaceholder) else {
            throw field.invalid("text may not contain '\(PromptTemplate.imagePlaceholder)' (send images as image_url parts)")
        }
        return text
    }
}
