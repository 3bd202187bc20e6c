/// PyramidDrop (Xing et al., CVPR 2025) as its reference code does it: at each boundary `b`,
/// before layer `b` runs, rank the image tokens by the attention the last prompt token pays them
/// under layer `b`'s own Q/K (softmax over all tokens, mean over heads), keep the schedule's
/// count in original order, and renumber positions.
public struct PyramidDropPolicy: TokenPolicy {
    public let schedule: DropSchedule
    public let positionMode: PositionMode
    public var placement: PolicyPlacement { .inDecoder }
    public let name = "pdrop"

    public init(schedule: DropSchedule, positionMode: PositionMode = .compact) {
        self.schedule = schedule
        self.positionMode = positionMode
    }

    /// Stages at `boundaries` keeping `⌊N · λ^s⌋`.
    public init(boundaries: [Int], lambda: Double, positionMode: PositionMode = .compact) throws {
        self.init(schedule: try .pyramid(boundaries: boundaries, lambda: lambda), positionMode: positionMode)
    }

    /// The paper's default boundaries: the quarter points of the depth (8, 16, 24 of 32 layers).
    public static func quarterPoints(layerCount: Int) -> [Int] { (1...3).map { $0 * layerCount / 4 } }

    public var parameters: [String: Double] {
        if case .ratios(let ratios, _) = schedule.budget, let first = ratios.first { return ["ratio": first] }
        return [:]
    }

    public func layerHooks(layerCount: Int) throws -> [LayerHook] {
        try schedule.validate(layerCount: layerCount)
        return schedule.boundaries.map { .before($0, needs: .lastTokenAttention) }
    }

    public func keep(_ state: TokenState, at hook: LayerHook, context: HookContext) -> [Int] {
        let budget = schedule.keepCount(stage: context.stage, imageTokens: context.imageTokens)
        return topRows(state.imageRows, scores: context.evidence.lastTokenAttention, count: budget)
    }
}
