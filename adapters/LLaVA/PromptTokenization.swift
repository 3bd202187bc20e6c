import Tokenizer

extension Tokenizer {
    /// Token ids of a rendered LLaVA prompt with one `LLaVAModel.imageMarker` per `<image>`. When
    /// the tokenizer knows `<image>` (llava-hf) the text is encoded whole and the token replaced;
    /// otherwise (the original repository's tokenizers) each chunk around `<image>` is encoded on
    /// its own and the chunks are joined with the marker, BOS kept only on the first — the
    /// original `tokenizer_image_token`.
    public func llavaPromptIDs(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
        if let imageID = id(of: PromptTemplate.imagePlaceholder) {
            return encode(text, addSpecialTokens: addSpecialTokens).map { $0 == imageID ? LLaVAModel.imageMarker : $0 }
        }
        let chunks = text.components(separatedBy: PromptTemplate.imagePlaceholder).map { encode($0, addSpecialTokens: addSpecialTokens) }
        let bos = chunks.first?.first.flatMap { $0 == bosID ? $0 : nil }
        var ids: [Int] = bos.map { [$0] } ?? []
        for (i, chunk) in chunks.enumerated() {
            if i > 0 { ids.append(LLaVAModel.imageMarker) }
            ids.append(contentsOf: bos != nil && chunk.first == bos ? chunk.dropFirst() : chunk[...])
        }
        return ids
    }
}
