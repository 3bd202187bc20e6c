import Tensors

/// How tokens are numbered for RoPE after an in-decoder drop.
public enum PositionMode: Sendable {
    /// Renumber the kept tokens 0..<L' (PyramidDrop).
    case compact
    /// Keep each token's original position, leaving gaps (FastV).
    case original
}

/// Where a policy acts: before the decoder (kind 1), inside it (kinds 2 and 3), or both (a
/// composition).
public struct PolicyPlacement: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// `selectImageTokens` chooses what enters the decoder.
    public static let beforeDecoder = PolicyPlacement(rawValue: 1)
    /// `layerHooks` drop tokens inside the decoder.
    public static let inDecoder = PolicyPlacement(rawValue: 2)
}

/// A training-free rule for which image tokens to keep, acting at any of three kinds of points:
///
/// 1. before the decoder, on each image's features and what the vision tower computed
///    (`selectImageTokens`; FasterVLM, VisionZip, DivPrune);
/// 2. before a layer, ranking with that layer's own Q/K (`LayerHook.Timing.beforeLayer`; PyramidDrop);
/// 3. after a layer, from what that layer computed (`LayerHook.Timing.afterLayer`; FastV, DART).
///
/// Every requirement has a default that keeps everything, so a policy writes only its own kind.
/// Text tokens are never dropped.
public protocol TokenPolicy: Sendable {
    /// Short name for traces and reports.
    var name: String { get }
    /// Numeric settings for traces and reports.
    var parameters: [String: Double] { get }
    /// How positions are numbered after this policy's in-decoder drops.
    var positionMode: PositionMode { get }
    /// Where the policy acts, which `ComposedPolicy` checks (default: undeclared, `[]`).
    var placement: PolicyPlacement { get }

    /// What the vision tower must compute for `selectImageTokens`.
    var visionNeeds: VisionNeeds { get }
    /// Kind 1: the tokens of one image that enter the decoder. Throws when the policy's budget
    /// does not fit the image or the image lacks what `visionNeeds` asked for.
    func selectImageTokens(_ image: ImageTokens) throws -> ImageSelection

    /// Kinds 2 and 3: where in a `layerCount`-layer decoder the policy acts, in order (each
    /// hook's `firstKeptLayer` strictly increasing, in 1..<layerCount). Throws for settings that
    /// do not fit the model.
    func layerHooks(layerCount: Int) throws -> [LayerHook]
    /// The rows of `state` holding image tokens to keep at `hook`, increasing. Rows that are not
    /// image rows are ignored. Throws when the policy cannot act on this state (e.g. a budget
    /// larger than the image tokens present).
    func keep(_ state: TokenState, at hook: LayerHook, context: HookContext) throws -> [Int]
}

extension TokenPolicy {
    public var parameters: [String: Double] { [:] }
    public var positionMode: PositionMode { .compact }
    public var placement: PolicyPlacement { [] }
    public var visionNeeds: VisionNeeds { [] }
    public func selectImageTokens(_ image: ImageTokens) throws -> ImageSelection { .all(image) }
    public func layerHooks(layerCount: Int) throws -> [LayerHook] { [] }
    public func keep(_ state: TokenState, at hook: LayerHook, context: HookContext) throws -> [Int] { state.imageRows }
}

/// Keeps every token: with it the wrapper is exactly the plain model.
public struct KeepAllPolicy: TokenPolicy {
    public let name = "none"
    public init() {}
}
