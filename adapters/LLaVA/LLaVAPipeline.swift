import Imaging
import PyramidDrop
import Tensors
import Tokenizer
import Transformer

/// From an image and a question to the prompt `TokenState`: template, tokenisation with the image
/// slot, image encoding and feature scattering — the part of LLaVA inference before the decoder.
public struct LLaVAPipeline: Sendable {
    public let model: LLaVAModel
    public let tokenizer: Tokenizer
    public let encoder: any ImageEncoder

    public init(model: LLaVAModel, tokenizer: Tokenizer, encoder: any ImageEncoder) {
        self.model = model
        self.tokenizer = tokenizer
        self.encoder = encoder
    }

    /// The prompt state for `text` (already rendered, holding `<image>` once per image) and `images`.
    public func prompt(text: String, images: [RGBImage]) throws -> (ids: [Int], state: TokenState) {
        let ids = tokenizer.llavaPromptIDs(text)
        let slots = ids.filter { $0 == LLaVAModel.imageMarker }.count
        guard slots > 0 else { throw LLaVAError.noImageSlot(prompt: text) }
        guard slots == images.count else { throw LLaVAError.imageTokenMismatch(slots: slots, features: images.count) }
        let features = try images.map { try encoder.features(for: $0) }
        return (ids, try model.promptState(ids: ids, images: features))
    }

    /// Generation stops at the tokenizer's EOS and the config's EOS ids.
    public var stopTokenIDs: Set<Int> {
        Set(model.config.text.eosTokenIDs + [tokenizer.eosID].compactMap { $0 })
    }

    /// Ids a sampler may choose: the tokenizer's vocabulary (llava-hf pads the embedding rows past
    /// it with random values that must never be sampled).
    public var eligibleVocabulary: Int { min(tokenizer.vocabularySize, model.language.vocabularySize) }
}
