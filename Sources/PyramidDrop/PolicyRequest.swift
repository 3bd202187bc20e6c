/// A token policy named as the command line, the server and the evaluation harness name it:
/// `none`, `pdrop`, `fastv`, `random`, `fastervlm`, `visionzip`, `divprune`, `dart`, each optionally
/// with its budget (`visionzip:64`), or a pre-decoder policy composed with an in-decoder one
/// (`visionzip+pdrop`, `fastervlm:128+fastv`).
public struct PolicyRequest: Sendable, Equatable {
    /// The policies that take a budget N, and the default when none is given (each method's
    /// smallest official setting).
    public static let budgeted = ["fastervlm", "visionzip", "divprune", "dart"]
    public static let defaultBudget = 64
    /// Every name, in the order `--help` lists them.
    public static let names = ["pdrop", "fastv", "none", "random"] + budgeted

    /// The policy spelled as given (e.g. `visionzip:64+pdrop`).
    public var spelling: String
    /// Budget for the parts that take one and name none.
    public var budget: Int?
    /// PyramidDrop stage boundaries (default: the quarter points of the depth) and λ.
    public var pdropLayers: [Int]?
    public var pdropRatio = 0.5
    /// FastV's K and drop ratio R.
    public var fastVK = 2
    public var fastVRatio = 0.5
    /// Seed of `random`.
    public var seed: UInt64 = 0

    public init(_ spelling: String, budget: Int? = nil) {
        self.spelling = spelling
        self.budget = budget
    }

    /// The policy for a decoder of `layerCount` layers; throws a one-line error for an unknown
    /// name, a budget given to a policy that has none, or a composition that is not one
    /// pre-decoder policy followed by one in-decoder policy.
    public func make(layerCount: Int) throws -> any TokenPolicy {
        let policies = try parts().map { try policy($0.name, budget: $0.budget, layerCount: layerCount) }
        if policies.count == 1 { return policies[0] }
        guard policies[0].placement == .beforeDecoder, policies[1].placement == .inDecoder else {
            throw invalid("compose one policy that acts before the decoder (fastervlm, visionzip, divprune) with one that acts inside it (pdrop, fastv, dart, random)")
        }
        return try ComposedPolicy(policies[0], then: policies[1])
    }

    /// Checks the names and budgets, which need no model (a command line's usage check).
    public func validate() throws {
        _ = try parts()
    }

    /// Each part's name and budget (its own, else `budget` where it takes one).
    private func parts() throws -> [(name: String, budget: Int)] {
        let texts = spelling.split(separator: "+", omittingEmptySubsequences: false).map(String.init)
        guard texts.count <= 2 else { throw invalid("at most two policies compose (one before the decoder, one inside it)") }
        return try texts.map { text in
            let pieces = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            let name = pieces[0]
            guard Self.names.contains(name) else {
                throw invalid("unknown policy '\(name)' (choose from \(Self.names.joined(separator: ", ")))")
            }
            guard pieces.count <= 2 else { throw invalid("'\(text)' has more than one budget") }
            let own = try pieces.count == 2 ? Int(pieces[1]) ?? { throw invalid("'\(pieces[1])' is not a whole-number budget") }() : nil
            if !Self.budgeted.contains(name), own != nil || (budget != nil && texts.count == 1) {
                let settings = ["pdrop": "its budget is --layers and --ratio", "random": "its budget is --layers and --ratio",
                                "fastv": "its budget is --fastv-k and --fastv-ratio", "none": "it keeps every token"]
                throw invalid("\(spelling == name ? "" : name + " ")takes no budget (\(settings[name]!))")
            }
            return (name, own ?? budget ?? Self.defaultBudget)
        }
    }

    private func policy(_ name: String, budget n: Int, layerCount: Int) throws -> any TokenPolicy {
        let boundaries = pdropLayers ?? PyramidDropPolicy.quarterPoints(layerCount: layerCount)
        let policy: any TokenPolicy
        switch name {
        case "pdrop": policy = try PyramidDropPolicy(boundaries: boundaries, lambda: pdropRatio)
        case "fastv": policy = try FastVPolicy(k: fastVK, dropRatio: fastVRatio)
        case "random": policy = RandomPolicy(schedule: try .pyramid(boundaries: boundaries, lambda: pdropRatio), seed: seed)
        case "fastervlm": policy = try FasterVLMPolicy(budget: n)
        case "visionzip": policy = try VisionZipPolicy(budget: n)
        case "divprune": policy = try DivPrunePolicy(budget: n)
        case "dart": policy = try DARTPolicy(budget: n)
        default: policy = KeepAllPolicy()
        }
        _ = try policy.layerHooks(layerCount: layerCount)
        return policy
    }

    private func invalid(_ reason: String) -> PyramidDropError {
        .invalidBudget(policy: spelling, reason: reason)
    }
}
