import Tensors

/// What the vision side of a model computes for a pre-decoder policy, beyond the features.
public struct VisionNeeds: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// The feature layer's outputs (class token included) of every crop, before the projector.
    public static let towerFeatures = VisionNeeds(rawValue: 1)
    /// The feature layer's attention of the class token over every position, per head.
    public static let classAttention = VisionNeeds(rawValue: 2)
    /// The feature layer's key projections.
    public static let towerKeys = VisionNeeds(rawValue: 4)
}

/// What the vision tower computed for one crop (one square tower input) at its feature layer, as
/// `TokenPolicy.visionNeeds` asked. Row 0 of every tensor is the class token, row `1 + p` patch `p`
/// (row-major over the crop's `side × side` grid).
public struct TowerCrop: Sendable {
    /// Feature-layer outputs, `[1 + patches, visionHidden]`.
    public var hidden: Tensor
    /// Softmax attention of the class token (as the query) over every position, `[heads, 1 + patches]`.
    public var classAttention: Tensor?
    /// Key projections (bias included, before any scaling), `[1 + patches, visionHidden]`.
    public var keys: Tensor?
    /// Attention heads of the tower (keys split into `heads` equal slices).
    public var heads: Int
    /// For each patch, the image token of the unpruned model that stands for it (`nil` if that
    /// model drops the patch, e.g. LLaVA-NeXT's unpadding).
    public var patchSources: [Int?]
    /// The image token that is the class token, if the model keeps it (`full` selection).
    public var classSource: Int?

    public init(hidden: Tensor, classAttention: Tensor? = nil, keys: Tensor? = nil, heads: Int, patchSources: [Int?], classSource: Int? = nil) {
        precondition(hidden.rank == 2 && hidden.shape[0] == patchSources.count + 1,
                     "TowerCrop: hidden \(hidden.shape) for \(patchSources.count) patches and a class token")
        self.hidden = hidden
        self.classAttention = classAttention
        self.keys = keys
        self.heads = heads
        self.patchSources = patchSources
        self.classSource = classSource
    }

    /// Number of patches (rows after the class token).
    public var patchCount: Int { patchSources.count }
}

/// How an image's crops fit together.
public enum CropLayout: Sendable, Equatable {
    /// One crop (LLaVA-1.5).
    case single
    /// A base crop of the whole image, then `rows × columns` tiles in row-major order, each of
    /// `side × side` patches (LLaVA-NeXT's anyres).
    case grid(rows: Int, columns: Int, side: Int)
}

/// One image's tokens as the adapter hands them to a pre-decoder policy: the projected features
/// the unpruned model would put in the decoder and, when `TokenPolicy.visionNeeds` asked, what the
/// vision tower computed for each crop on the way, with the projector for tower-side rows.
public struct ImageTokens: Sendable {
    /// Projected features of the unpruned model, `[tokens, textHidden]`.
    public var features: Tensor
    /// Per crop (the base crop first), what the tower computed; empty unless asked for.
    public var crops: [TowerCrop]
    /// How the crops fit together.
    public var layout: CropLayout
    /// Maps tower-side rows (`[n, visionHidden]`) to decoder features (the projector), for
    /// policies that select or merge before projecting.
    public var project: (@Sendable (Tensor) -> Tensor)?

    public init(features: Tensor, crops: [TowerCrop] = [], layout: CropLayout = .single, project: (@Sendable (Tensor) -> Tensor)? = nil) {
        self.features = features
        self.crops = crops
        self.layout = layout
        self.project = project
    }

    /// Number of image tokens of the unpruned model.
    public var count: Int { features.shape[0] }
}

/// What a pre-decoder policy keeps of one image: the feature rows that enter the decoder and,
/// for each, the image token it stands for (`nil` for a token merged from several, or one that
/// stands for no patch of the unpruned model).
public struct ImageSelection: Sendable {
    /// `[kept, textHidden]`.
    public var features: Tensor
    /// Per row: the index of the original image token, or `nil`.
    public var sources: [Int?]
    /// The image's token count before the selection.
    public var originalCount: Int
    /// Original image tokens folded into the merged rows (for maps), increasing.
    public var merged: [Int]

    public init(features: Tensor, sources: [Int?], originalCount: Int, merged: [Int] = []) {
        precondition(features.rank == 2 && features.shape[0] == sources.count,
                     "ImageSelection: features \(features.shape) for \(sources.count) sources")
        self.features = features
        self.sources = sources
        self.originalCount = originalCount
        self.merged = merged
    }

    /// Every token of `image`, unchanged.
    public static func all(_ image: ImageTokens) -> ImageSelection {
        ImageSelection(features: image.features, sources: Array(0..<image.count), originalCount: image.count)
    }
}
