import Tokenizer

extension Tokenizer {
    /// A rendered LLaVA prompt with one image slot per `<image>`. When the tokenizer knows
    /// `<image>` (llava-hf) the text is encoded whole and each `<image>` token becomes a slot;
    /// otherwise (the original repository's tokenizers) each chunk around `<image>` is encoded on
    /// its own and the chunks are joined with a slot, BOS kept only on the first — the original
    /// `tokenizer_image_token`.
    public func llavaPrompt(_ text: String, addSpecialTokens: Bool = true) -> Prompt {
        var slot = 0
        func nextSlot() -> PromptPiece {
            defer { slot += 1 }
            return .image(slot: slot)
        }
        if let imageID = id(of: PromptTemplate.imagePlaceholder) {
            return Prompt(pieces: encode(text, addSpecialTokens: addSpecialTokens).map { $0 == imageID ? nextSlot() : .text($0) })
        }
        let chunks = text.components(separatedBy: PromptTemplate.imagePlaceholder).map { encode($0, addSpecialTokens: addSpecialTokens) }
        let bos = chunks.first?.first.flatMap { $0 == bosID ? $0 : nil }
        var pieces: [PromptPiece] = bos.map { [.text($0)] } ?? []
        for (i, chunk) in chunks.enumerated() {
            if i > 0 { pieces.append(nextSlot()) }
            pieces += (bos != nil && chunk.first == bos ? chunk.dropFirst() : chunk[...]).map { .text($0) }
        }
        return Prompt(pieces: pieces)
    }
}
