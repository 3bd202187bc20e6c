/// A pre-decoder policy followed by an in-decoder one (e.g. VisionZip, then PyramidDrop on what
/// it kept): `first` chooses the tokens that enter the decoder, `second` acts inside it.
public struct ComposedPolicy: TokenPolicy {
    public let first: any TokenPolicy
    public let second: any TokenPolicy

    public init(_ first: any TokenPolicy, then second: any TokenPolicy) {
        self.first = first
        self.second = second
    }

    public var name: String { "\(first.name)+\(second.name)" }
    /// The second policy's parameters, and the first's prefixed with its name.
    public var parameters: [String: Double] {
        second.parameters.merging(first.parameters.map { ("\(first.name)_\($0.key)", $0.value) }) { a, _ in a }
    }
    public var positionMode: PositionMode { second.positionMode }
    public var visionNeeds: VisionNeeds { first.visionNeeds }
    public func selectImageTokens(_ image: ImageTokens) -> ImageSelection { first.selectImageTokens(image) }
    public func layerHooks(layerCount: Int) throws -> [LayerHook] { try second.layerHooks(layerCount: layerCount) }
    public func keep(_ state: TokenState, at hook: LayerHook, context: HookContext) -> [Int] {
        second.keep(state, at: hook, context: context)
    }
}
