import Tensors

/// Keeps a seeded uniformly random subset of the image tokens at a schedule's boundaries (an
/// ablation baseline for the attention-ranked policies).
public struct RandomPolicy: TokenPolicy {
    public let schedule: DropSchedule
    public let seed: UInt64
    public let positionMode: PositionMode
    public var placement: PolicyPlacement { .inDecoder }
    public let name = "random"

    public init(schedule: DropSchedule, seed: UInt64, positionMode: PositionMode = .compact) {
        self.schedule = schedule
        self.seed = seed
        self.positionMode = positionMode
    }

    public var parameters: [String: Double] { ["seed": Double(seed)] }

    public func layerHooks(layerCount: Int) throws -> [LayerHook] {
        try schedule.validate(layerCount: layerCount)
        return schedule.boundaries.map { .before($0, needs: []) }
    }

    public func keep(_ state: TokenState, at hook: LayerHook, context: HookContext) -> [Int] {
        var generator = SplitMix64(seed: seed &+ UInt64(context.stage))
        var rows = state.imageRows
        let budget = schedule.keepCount(stage: context.stage, imageTokens: context.imageTokens)
        guard budget < rows.count else { return rows }
        rows.shuffle(using: &generator)
        return rows.prefix(budget).sorted()
    }
}
