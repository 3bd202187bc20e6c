/// Invalid drop configurations. `description` is one line naming the offending value.
public enum PyramidDropError: Error, CustomStringConvertible, Equatable {
    case boundariesNotIncreasing([Int])
    case boundaryOutOfRange(boundary: Int, layerCount: Int)
    case invalidRatio(Double)
    case budgetCountMismatch(boundaries: Int, budgets: Int)
    case budgetIncreasing([Double])
    case invalidKeepCount(Int)
    /// A policy's setting that does not fit the model or image it meets.
    case invalidBudget(policy: String, reason: String)
    /// A policy needs something the vision side or the layer did not provide.
    case missingEvidence(policy: String, what: String)

    public var description: String {
        switch self {
        case .boundariesNotIncreasing(let b): return "drop layers \(b) must be strictly increasing"
        case let .boundaryOutOfRange(b, n): return "drop layer \(b) is outside 1..<\(n) (the model has \(n) layers)"
        case .invalidRatio(let r): return "ratio \(r) must be in (0, 1]"
        case let .budgetCountMismatch(b, k): return "\(b) drop layers but \(k) keep budgets"
        case .budgetIncreasing(let r): return "keep budgets \(r) must not increase from stage to stage"
        case .invalidKeepCount(let c): return "keep count \(c) must not be negative"
        case let .invalidBudget(policy, reason): return "\(policy): \(reason)"
        case let .missingEvidence(policy, what): return "\(policy) needs \(what), which was not provided"
        }
    }
}
