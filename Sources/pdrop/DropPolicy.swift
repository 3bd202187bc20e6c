import PyramidDrop

/// The `--drop` choice of the CLI turned into a schedule and a ranker, with the reference defaults:
/// PyramidDrop at the quarter points of the model's depth (8, 16, 24 for 32 layers) with λ = 0.5
/// and positions renumbered; FastV before layer K with R dropped and original positions.
struct DropPolicy {
    let name: String
    let schedule: DropSchedule
    let ranker: any TokenRanker
    let parameters: [String: Double]

    init(name: String, layerCount: Int, layers: [Int]?, ratio: Double, fastVK: Int, fastVRatio: Double) throws {
        self.name = name
        switch name {
        case "pdrop":
            let boundaries = layers ?? (1...3).map { $0 * layerCount / 4 }
            schedule = try .pyramid(boundaries: boundaries, lambda: ratio)
            ranker = AttentionRanker.pyramidDrop()
            parameters = ["ratio": ratio]
        case "fastv":
            schedule = try .fastV(k: fastVK, dropRatio: fastVRatio)
            ranker = AttentionRanker.fastV()
            parameters = ["k": Double(fastVK), "ratio": fastVRatio]
        default:
            schedule = .none
            ranker = KeepAllRanker()
            parameters = [:]
        }
        try schedule.validate(layerCount: layerCount)
    }
}
