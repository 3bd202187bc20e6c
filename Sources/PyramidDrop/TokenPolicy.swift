import Tensors

/// How tokens are numbered for RoPE after an in-decoder drop.
public enum PositionMode: Sendable {
    /// Renumber the kept tokens 0..<L' (PyramidDrop).
    case compact
    /// Keep each token's original position, leaving gaps (FastV).
    case original
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

    /// What the vision tower must compute for `selectImageTokens`.
    var visionNeeds: VisionNeeds { get }
    /// Kind 1: the tokens of one image that enter the decoder.
    func selectImageTokens(_ image: ImageTokens) -> ImageSelection

    /// Kinds 2 and 3: where in a `layerCount`-layer decoder the policy acts, in order (each
    /// hook's `firstKeptLayer` strictly increasing, in 1..<layerCount). Throws for settings that
    /// do not fit the model.
    func layerHooks(layerCount: Int) throws -> [LayerHook]
    /// The rows of `state` holding image tokens to keep at `hook`, increasing. Rows that are not
    /// image rows are ignored.
    func keep(_ state: TokenState, at hook: LayerHook, context: HookContext) -> [Int]
}

extension TokenPolicy {
    public var parameters: [String: Double] { [:] }
    public var positionMode: PositionMode { .compact }
    public var visionNeeds: VisionNeeds { [] }
    public func selectImageTokens(_ image: ImageTokens) -> ImageSelection { .all(image) }
    public func layerHooks(layerCount: Int) throws -> [LayerHook] { [] }
    public func keep(_ state: TokenState, at hook: LayerHook, context: HookContext) -> [Int] { state.imageRows }
}

/// Keeps every token: with it the wrapper is exactly the plain model.
public struct KeepAllPolicy: TokenPolicy {
    public let name = "none"
    public init() {}
}
