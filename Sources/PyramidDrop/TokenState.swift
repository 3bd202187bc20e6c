import Tensors

/// Where a token of the current sequence came from.
public struct TokenOrigin: Sendable, Equatable, Hashable {
    /// Index of the token in the original prompt sequence.
    public let promptIndex: Int
    /// For image tokens, the index within the prompt's image tokens (0..<N, counting every image
    /// block in order); `nil` for text tokens and for image tokens merged from several.
    public let imageIndex: Int?
    /// Whether this is an image token (a candidate for dropping).
    public let isImage: Bool
    /// For image tokens, which of the prompt's images the token belongs to (0-based, in prompt
    /// order; nil when the caller did not say).
    public let image: Int?

    /// A text token (`imageIndex == nil`) or an original image token of prompt image `image`.
    public init(promptIndex: Int, imageIndex: Int?, image: Int? = nil) {
        self.promptIndex = promptIndex
        self.imageIndex = imageIndex
        isImage = imageIndex != nil
        self.image = imageIndex == nil ? nil : image
    }

    /// An image token that a pre-decoder policy merged from several (it stands for no one patch).
    public static func mergedImage(promptIndex: Int, image: Int? = nil) -> TokenOrigin {
        TokenOrigin(promptIndex: promptIndex, mergedImage: image)
    }

    private init(promptIndex: Int, mergedImage image: Int?) {
        self.promptIndex = promptIndex
        imageIndex = nil
        isImage = true
        self.image = image
    }
}

/// The tokens alive between two decoder layers: hidden states, the RoPE position of each token,
/// and each token's origin. Layers read and replace `hidden`; the wrapper compacts the state when
/// it drops tokens.
public struct TokenState: Sendable {
    /// Hidden states, `[count, hiddenSize]`.
    public var hidden: Tensor
    /// RoPE position of each row.
    public var positions: [Int]
    /// Origin of each row.
    public var origins: [TokenOrigin]
    /// Image tokens the prompt had before any pre-decoder policy pruned it (N of the trace).
    public let originalImageCount: Int
    /// Original image tokens a pre-decoder policy folded into merged rows, increasing.
    public var mergedImageTokens: [Int] = []

    /// Number of tokens.
    public var count: Int { origins.count }

    /// A prompt state: row `i` is prompt token `i` at position `i`; rows where `isImage` is true
    /// are image tokens, numbered in order.
    public init(hidden: Tensor, isImage: [Bool]) {
        var next = 0
        let origins = isImage.enumerated().map { i, image in
            defer { if image { next += 1 } }
            return TokenOrigin(promptIndex: i, imageIndex: image ? next : nil)
        }
        self.init(hidden: hidden, positions: Array(0..<isImage.count), origins: origins)
    }

    /// A state from explicit parts (all must have the same token count). `originalImageCount`
    /// defaults to the image tokens present.
    public init(hidden: Tensor, positions: [Int], origins: [TokenOrigin], originalImageCount: Int? = nil) {
        precondition(hidden.rank == 2 && hidden.shape[0] == origins.count && positions.count == origins.count,
                     "TokenState: hidden \(hidden.shape), \(positions.count) positions, \(origins.count) origins")
        self.hidden = hidden
        self.positions = positions
        self.origins = origins
        self.originalImageCount = originalImageCount ?? origins.reduce(0) { $0 + ($1.isImage ? 1 : 0) }
    }

    /// With a value, `imageRows` lists only the tokens of that prompt image: how
    /// `PerImagePolicy` lets a policy rank one image at a time.
    public var imageFocus: Int?

    /// Rows that hold image tokens (of image `imageFocus` alone when set), in order.
    public var imageRows: [Int] {
        origins.indices.filter { origins[$0].isImage && (imageFocus == nil || origins[$0].image == imageFocus) }
    }

    /// Image tokens per prompt image (`TokenOrigin.image`; tokens without one under nil).
    public var imageCountsByImage: [Int?: Int] {
        origins.reduce(into: [:]) { counts, origin in if origin.isImage { counts[origin.image, default: 0] += 1 } }
    }

    /// Number of image tokens.
    public var imageCount: Int { origins.reduce(0) { $0 + ($1.isImage ? 1 : 0) } }

    /// Tokens the prompt held before any pre-decoder pruning (the unpruned model's count).
    public var unprunedCount: Int { count + originalImageCount - imageCount }

    /// The state restricted to `rows` (increasing). With `renumber`, positions become 0..<rows.count
    /// (PyramidDrop); otherwise each token keeps its position (FastV).
    public func keeping(rows: [Int], renumber: Bool) -> TokenState {
        var state = TokenState(hidden: hidden.gatherRows(rows), positions: renumber ? Array(0..<rows.count) : rows.map { positions[$0] },
                               origins: rows.map { origins[$0] }, originalImageCount: originalImageCount)
        state.mergedImageTokens = mergedImageTokens
        return state
    }
}
