/// FastV (Chen et al., ECCV 2024): after layer K − 1 ran, rank the image tokens by the attention
/// its last token paid them in that very pass (mean over heads), keep `round(N · (1 − R))`
/// (half to even, as Python's `round`), original positions kept.
public struct FastVPolicy: TokenPolicy {
    /// The first layer that runs on the kept tokens.
    public let k: Int
    /// The fraction of image tokens dropped.
    public let dropRatio: Double
    public let positionMode: PositionMode
    public var placement: PolicyPlacement { .inDecoder }
    public let name = "fastv"
    private let schedule: DropSchedule

    public init(k: Int, dropRatio: Double, positionMode: PositionMode = .original) throws {
        schedule = try .fastV(k: k, dropRatio: dropRatio)
        self.k = k
        self.dropRatio = dropRatio
        self.positionMode = positionMode
    }

    public var parameters: [String: Double] { ["k": Double(k), "ratio": dropRatio] }

    public func layerHooks(layerCount: Int) throws -> [LayerHook] {
        try schedule.validate(layerCount: layerCount)
        return [.after(k - 1, needs: .lastTokenAttention)]
    }

    public func keep(_ state: TokenState, at hook: LayerHook, context: HookContext) -> [Int] {
        topRows(state.imageRows, scores: context.evidence.lastTokenAttention,
                count: schedule.keepCount(stage: 0, imageTokens: context.imageTokens))
    }
}
