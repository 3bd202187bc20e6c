/// A pre-decoder policy followed by an in-decoder one (e.g. VisionZip, then PyramidDrop on what
/// it kept): `first` chooses the tokens that enter the decoder, `second` acts inside it, with its
/// budgets relative to the tokens `first` let in.
public struct ComposedPolicy: TokenPolicy {
    public let first: any TokenPolicy
    public let second: any TokenPolicy

    /// Throws unless `first` acts only before the decoder and `second` only inside it.
    public init(_ first: any TokenPolicy, then second: any TokenPolicy) throws {
        guard !first.placement.contains(.inDecoder), !second.placement.contains(.beforeDecoder) else {
            let kinds = [first, second].map { $0.placement.contains(.beforeDecoder) ? "before the decoder" : "inside the decoder" }
            throw PyramidDropError.invalidBudget(policy: "\(first.name)+\(second.name)",
                                                 reason: "a composition is one policy acting before the decoder, then one inside it (these act \(kinds[0]) and \(kinds[1]))")
        }
        self.first = first
        self.second = second
    }

    public var name: String { "\(first.name)+\(second.name)" }
    /// The second policy's parameters, and the first's prefixed with its name.
    public var parameters: [String: Double] {
        second.parameters.merging(first.parameters.map { ("\(first.name)_\($0.key)", $0.value) }) { a, _ in a }
    }
    public var positionMode: PositionMode { second.positionMode }
    public var placement: PolicyPlacement { first.placement.union(second.placement) }
    public var visionNeeds: VisionNeeds { first.visionNeeds }
    public func selectImageTokens(_ image: ImageTokens) throws -> ImageSelection { try first.selectImageTokens(image) }
    public func layerHooks(layerCount: Int) throws -> [LayerHook] { try second.layerHooks(layerCount: layerCount) }
    public func keep(_ state: TokenState, at hook: LayerHook, context: HookContext) throws -> [Int] {
        try second.keep(state, at: hook, context: context)
    }
}
