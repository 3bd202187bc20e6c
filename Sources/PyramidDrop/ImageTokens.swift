import Tensors

/// What the vision side of a model computes for the vision tower, beyond the features, when a
/// pre-decoder policy asks for it.
public struct VisionNeeds: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// The feature layer's outputs before the projector.
    public static let towerFeatures = VisionNeeds(rawValue: 1)
    /// The feature layer's [CLS] attention row, per head.
    public static let classAttention = VisionNeeds(rawValue: 2)
    /// The feature layer's keys.
    public static let towerKeys = VisionNeeds(rawValue: 4)
}

/// One image's tokens as the adapter hands them to a pre-decoder policy: the projected features
/// that would enter the decoder, and what the vision tower computed on the way when
/// `TokenPolicy.visionNeeds` asked for it. Row `i` of every tensor is image token `i`.
public struct ImageTokens: Sendable {
    /// Projected features, `[tokens, textHidden]`.
    public var features: Tensor
    /// Feature-layer outputs before the projector, `[tokens, visionHidden]`.
    public var towerFeatures: Tensor?
    /// The feature layer's [CLS] attention over the tokens, `[heads, tokens]`.
    public var classAttention: Tensor?
    /// The feature layer's keys, `[tokens, visionHidden]`.
    public var towerKeys: Tensor?
    /// Maps tower-side rows (`[n, visionHidden]`) to decoder features (the projector), for
    /// policies that merge tokens before projecting.
    public var project: (@Sendable (Tensor) -> Tensor)?

    public init(features: Tensor, towerFeatures: Tensor? = nil, classAttention: Tensor? = nil, towerKeys: Tensor? = nil,
                project: (@Sendable (Tensor) -> Tensor)? = nil) {
        self.features = features
        self.towerFeatures = towerFeatures
        self.classAttention = classAttention
        self.towerKeys = towerKeys
        self.project = project
    }

    /// Number of image tokens.
    public var count: Int { features.shape[0] }
}

/// What a pre-decoder policy keeps of one image: the feature rows that enter the decoder and,
/// for each, the image token it stands for (`nil` for a token merged from several).
public struct ImageSelection: Sendable {
    /// `[kept, textHidden]`.
    public var features: Tensor
    /// Per row: the index of the original image token, or `nil` for a merged token.
    public var sources: [Int?]
    /// The image's token count before the selection.
    public var originalCount: Int

    public init(features: Tensor, sources: [Int?], originalCount: Int) {
        precondition(features.rank == 2 && features.shape[0] == sources.count,
                     "ImageSelection: features \(features.shape) for \(sources.count) sources")
        self.features = features
        self.sources = sources
        self.originalCount = originalCount
    }

    /// Every token of `image`, unchanged.
    public static func all(_ image: ImageTokens) -> ImageSelection {
        ImageSelection(features: image.features, sources: Array(0..<image.count), originalCount: image.count)
    }
}
