extension PromptTemplate {
    /// The prompt text for a whole conversation, ending where the assistant's next answer
    /// starts, as transformers' `apply_chat_template(…, add_generation_prompt=True)` renders the
    /// llava-hf chat templates: per turn the images first (one `<image>` each), then the texts.
    ///
    /// - `llava-hf` (llava-1.5-*-hf `chat_template.json`): `USER: ` / `ASSISTANT: ` before each
    ///   turn (nothing before a system turn), `<image>\n` per image, each text followed by a space,
    ///   and `ASSISTANT:` at the end.
    /// - `qwen2` (llava-onevision-*-hf): `<|im_start|>` + role + ` `, `<image>` per image, `\n` +
    ///   text per text, `<|im_end|>` (no newline between turns), and `<|im_start|>assistant\n`.
    ///
    /// Other templates render a single user turn only (through `render`); a system turn or
    /// several turns there throw `LLaVAError.unsupportedConversation`.
    public func renderConversation(_ turns: [ChatTurn]) throws -> String {
        switch self {
        case .llavaHF:
            let body = turns.map { turn in
                (turn.role == .system ? "" : turn.role.rawValue.uppercased() + ": ")
                    + String(repeating: Self.imagePlaceholder + "\n", count: turn.imageCount)
                    + turn.texts.map { $0 + " " }.joined()
            }
            return body.joined() + "ASSISTANT:"
        case .qwen2:
            let body = turns.map { turn in
                "<|im_start|>\(turn.role.rawValue) " + String(repeating: Self.imagePlaceholder, count: turn.imageCount)
                    + turn.texts.map { "\n" + $0 }.joined() + "<|im_end|>"
            }
            return body.joined() + "<|im_start|>assistant\n"
        case .llavaV1, .vicunaV1, .mistralInstruct, .raw:
            guard turns.count == 1, turns[0].role == .user else { throw LLaVAError.unsupportedConversation(template: rawValue) }
            return try render(turns[0].texts.joined(separator: "\n"), images: turns[0].imageCount)
        }
    }
}
