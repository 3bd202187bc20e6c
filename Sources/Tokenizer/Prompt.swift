/// One element of a tokenised prompt: a text token, or the slot where an image's tokens go.
public enum PromptPiece: Sendable, Hashable {
    /// A vocabulary id.
    case text(Int)
    /// The tokens of image `slot` (0-based, in prompt order), however many it turns into.
    case image(slot: Int)
}

/// A tokenised prompt with typed image slots: text ids never carry a sentinel for an image, and a
/// prompt may hold no image at all.
public struct Prompt: Sendable, Hashable {
    /// The pieces in order.
    public var pieces: [PromptPiece]

    /// A prompt from pieces (image slots numbered 0, 1, … in order).
    public init(pieces: [PromptPiece]) {
        self.pieces = pieces
    }

    /// A text-only prompt.
    public init(ids: [Int]) {
        pieces = ids.map { .text($0) }
    }

    /// A prompt from ids in which the images are already expanded to runs of `imageTokenID`, as
    /// llava-hf processors write them: `tokensPerImage[i]` consecutive ids form image slot `i`.
    /// Throws `TokenizerError.imageTokenCount` unless the runs hold exactly those tokens.
    public init(expandedIDs: [Int], imageTokenID: Int, tokensPerImage: [Int]) throws(TokenizerError) {
        let found = expandedIDs.filter { $0 == imageTokenID }.count
        guard found == tokensPerImage.reduce(0, +) else {
            throw .imageTokenCount(found: found, expected: tokensPerImage.reduce(0, +))
        }
        var pieces: [PromptPiece] = []
        var slot = 0, left = 0
        for id in expandedIDs {
            guard id == imageTokenID else {
                guard left == 0 else { throw .imageTokenCount(found: found, expected: tokensPerImage.reduce(0, +)) }
                pieces.append(.text(id))
                continue
            }
            if left == 0 {
                pieces.append(.image(slot: slot))
                left = tokensPerImage[slot]
                slot += 1
            }
            left -= 1
        }
        self.pieces = pieces
    }

    /// Number of image slots.
    public var imageCount: Int { pieces.reduce(0) { if case .image = $1 { return $0 + 1 } else { return $0 } } }

    /// The text ids, in order, without the image slots.
    public var textIDs: [Int] { pieces.compactMap { if case .text(let id) = $0 { return id } else { return nil } } }

    /// The ids with image slot `i` expanded to `tokensPerImage[i]` copies of `imageTokenID` — what
    /// a llava-hf processor writes, for comparing with it.
    public func expandedIDs(imageTokenID: Int, tokensPerImage: [Int]) -> [Int] {
        pieces.flatMap { piece -> [Int] in
            switch piece {
            case .text(let id): return [id]
            case .image(let slot): return Array(repeating: imageTokenID, count: tokensPerImage[slot])
            }
        }
    }
}
