import PyramidDrop

/// The `--drop` choice of the CLI turned into a token policy with the reference defaults:
/// PyramidDrop at the quarter points of the model's depth (8, 16, 24 for 32 layers) with λ = 0.5
/// and positions renumbered; FastV after layer K − 1 with R dropped and original positions.
enum DropPolicy {
    static func make(name: String, layerCount: Int, layers: [Int]?, ratio: Double, fastVK: Int, fastVRatio: Double) throws -> any TokenPolicy {
        let policy: any TokenPolicy
        switch name {
        case "pdrop":
            policy = try PyramidDropPolicy(boundaries: layers ?? PyramidDropPolicy.quarterPoints(layerCount: layerCount), lambda: ratio)
        case "fastv":
            policy = try FastVPolicy(k: fastVK, dropRatio: fastVRatio)
        default:
            policy = KeepAllPolicy()
        }
        _ = try policy.layerHooks(layerCount: layerCount)
        return policy
    }
}
