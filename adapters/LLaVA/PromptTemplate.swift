/// Chat templates LLaVA checkpoints were trained with. Each renders one user turn with the image
/// placeholder `<image>` (put first, followed by a newline, unless the question already holds it)
/// and ends where the assistant's answer starts. BOS is added by the tokenizer, not here.
public enum PromptTemplate: String, Sendable, CaseIterable {
    /// llava-hf model cards: `USER: <image>\n{q} ASSISTANT:`.
    case llavaHF = "llava-hf"
    /// Original LLaVA `conv_llava_v1` (system prompt about a curious human).
    case llavaV1 = "llava_v1"
    /// Original LLaVA `conv_vicuna_v1` (system prompt about a curious user).
    case vicunaV1 = "vicuna_v1"
    /// `conv_mistral_instruct`: `[INST] <image>\n{q} [/INST]`.
    case mistralInstruct = "mistral_instruct"
    /// ChatML as llava-hf's LLaVA-OneVision chat template renders one user turn: the images
    /// first with nothing between them, then a newline and the question:
    /// `<|im_start|>user <image>\n{q}<|im_end|><|im_start|>assistant\n`.
    case qwen2
    /// The prompt exactly as given (it must contain `<image>`).
    case raw

    /// The image placeholder.
    public static let imagePlaceholder = "<image>"

    /// Parses a template name (`auto` is resolved by `LLaVACheckpoint.defaultTemplate`).
    public init(name: String) throws {
        guard let template = PromptTemplate(rawValue: name) else { throw LLaVAError.unknownTemplate(name) }
        self = template
    }

    /// The prompt text for `question` about `images` images: the placeholders go first (one line
    /// each; `qwen2`: side by side, then a newline, as its chat template), unless the question
    /// already holds `<image>`; with no image the turn is the question.
    public func render(_ question: String, images: Int = 1) throws -> String {
        let placeholders = self == .qwen2 ? String(repeating: Self.imagePlaceholder, count: images) + "\n"
            : String(repeating: Self.imagePlaceholder + "\n", count: images)
        let turn = question.contains(Self.imagePlaceholder) ? question : placeholders + question
        switch self {
        case .llavaHF:
            return "USER: \(turn) ASSISTANT:"
        case .llavaV1:
            return "A chat between a curious human and an artificial intelligence assistant. The assistant gives helpful, "
                + "detailed, and polite answers to the human's questions. USER: \(turn) ASSISTANT:"
        case .vicunaV1:
            return "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, "
                + "detailed, and polite answers to the user's questions. USER: \(turn) ASSISTANT:"
        case .mistralInstruct:
            return "[INST] \(turn) [/INST]"
        case .qwen2:
            return "<|im_start|>user \(turn)<|im_end|><|im_start|>assistant\n"
        case .raw:
            guard images == 0 || question.contains(Self.imagePlaceholder) else { throw LLaVAError.noImageSlot(prompt: question) }
            return question
        }
    }
}

extension LLaVACheckpoint {
    /// The template a checkpoint expects: Qwen2 text models (LLaVA-OneVision) use `qwen2`, Mistral
    /// text models `mistral_instruct` (for a GGUF pair: a `tokenizer.chat_template` in ChatML or
    /// with `[INST]`); otherwise GGUF pairs use `llava_v1`, and
    /// llava-hf layouts use `llava-hf` for LLaVA-1.5 and `llava_v1` for LLaVA-NeXT, and the original
    /// layout uses `llava_v1`.
    public var defaultTemplate: PromptTemplate {
        let chatTemplate = (try? gguf?.model.string("tokenizer.chat_template")) ?? nil
        if config.text.family == .qwen2 || chatTemplate?.contains("<|im_start|>") == true { return .qwen2 }
        if config.text.isMistral || chatTemplate?.contains("[INST]") == true { return .mistralInstruct }
        if followsOriginalRepository || config.modelType == "llava_next" { return .llavaV1 }
        return .llavaHF
    }
}
