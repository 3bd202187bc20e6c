/// A policy applied to each image of a prompt on its own: at every hook the inner policy ranks
/// one image's tokens at a time (`TokenState.imageFocus`) with that image's entering count as its
/// budget base (`HookContext.focused(on:)`), and the kept sets are joined. Without it, policies
/// rank all image tokens of the prompt as one pool. Pre-decoder selection is per image either
/// way (`selectImageTokens` sees one image); what this changes is how in-decoder budgets split.
/// DART's text pivots stay the tokens after the image it ranks, later images included.
public struct PerImagePolicy: TokenPolicy {
    /// The policy applied per image.
    public let inner: any TokenPolicy

    public init(_ inner: any TokenPolicy) {
        self.inner = inner
    }

    public var name: String { inner.name }
    public var parameters: [String: Double] { inner.parameters.merging(["per_image": 1]) { $1 } }
    public var positionMode: PositionMode { inner.positionMode }
    public var placement: PolicyPlacement { inner.placement }
    public var visionNeeds: VisionNeeds { inner.visionNeeds }

    public func selectImageTokens(_ image: ImageTokens) throws -> ImageSelection {
        try inner.selectImageTokens(image)
    }

    public func layerHooks(layerCount: Int) throws -> [LayerHook] {
        try inner.layerHooks(layerCount: layerCount)
    }

    public func keep(_ state: TokenState, at hook: LayerHook, context: HookContext) throws -> [Int] {
        let images = Set(state.origins.filter(\.isImage).map(\.image)).sorted { ($0 ?? -1) < ($1 ?? -1) }
        var kept: [Int] = []
        for image in images {
            var focused = state
            focused.imageFocus = image
            kept += try inner.keep(focused, at: hook, context: context.focused(on: image))
        }
        return kept.sorted()
    }
}
