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

    /// The prompt state for `text` (already rendered, holding `<image>` once per image; none for a
    /// text-only prompt) and `images`, each image's tokens chosen by `policy`'s pre-decoder step.
    public func prompt(text: String, images: [RGBImage], policy: any TokenPolicy = KeepAllPolicy()) throws -> (prompt: Prompt, state: TokenState) {
        let prepared = try prompt(text: text, images: images, policy: policy, cache: nil)
        return (prepared.prompt, prepared.state)
    }

    /// `prompt(text:images:policy:)`, taking each image's tokens from `cache` where it holds them
    /// (and keeping those it computes there); `cachedImages` counts the images it served.
    public func prompt(text: String, images: [RGBImage], policy: any TokenPolicy,
                       cache: ImageFeatureCache?) throws -> (prompt: Prompt, state: TokenState, cachedImages: Int) {
        let prompt = tokenizer.llavaPrompt(text)
        guard prompt.imageCount == images.count else {
            if prompt.imageCount == 0 { throw LLaVAError.noImageSlot(prompt: text) }
            throw LLaVAError.imageSlotCount(slots: prompt.imageCount, images: images.count)
        }
        let encoder = encoder.forPrompt(imageCount: images.count)
        var cachedImages = 0
        let selections = try images.map { image in
            let tokens: ImageTokens
            if let cache {
                let found = try cache.tokens(for: image, imageCount: images.count, needs: policy.visionNeeds) {
                    try encoder.tokens(for: image, needs: $0)
                }
                tokens = found.tokens
                if found.hit { cachedImages += 1 }
            } else {
                tokens = try encoder.tokens(for: image, needs: policy.visionNeeds)
            }
            return try policy.selectImageTokens(tokens)
        }
        return (prompt, try model.promptState(prompt, images: selections), cachedImages)
    }

    /// Where each image's tokens come from, for kept-token maps of a prompt with `images`: one
    /// geometry covering them all, in prompt order.
    public func geometry(for images: [RGBImage]) -> TokenGeometry {
        let encoder = encoder.forPrompt(imageCount: images.count)
        return TokenGeometry(concatenating: images.map { encoder.geometry(for: $0) })
    }

    /// Generation stops at the tokenizer's EOS and the config's EOS ids.
    public var stopTokenIDs: Set<Int> {
        Set(model.config.text.eosTokenIDs + [tokenizer.eosID].compactMap { $0 })
    }

    /// Ids a sampler may choose: the tokenizer's vocabulary (llava-hf pads the embedding rows past
    /// it with random values that must never be sampled).
    public var eligibleVocabulary: Int { min(tokenizer.vocabularySize, model.language.vocabularySize) }
}
