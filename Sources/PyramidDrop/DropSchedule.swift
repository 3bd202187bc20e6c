import Foundation

/// When to drop image tokens and how many to keep.
///
/// `boundaries` are 0-based layer indices: at boundary `b` the tokens are ranked after layers
/// `0..<b` ran and before layer `b` runs. Keep budgets are relative to the ORIGINAL image-token
/// count N and cumulative (stage `s` keeps `budget[s]` of N, not of the previous stage).
public struct DropSchedule: Sendable, Equatable {
    /// How the keep count of each stage is derived from N.
    public enum Budget: Sendable, Equatable {
        /// Keep `⌊N · r_s⌋` (PyramidDrop) — or round half to even with `roundToEven` (FastV).
        case ratios([Double], roundToEven: Bool)
        /// Keep exactly these counts (clamped to N).
        case counts([Int])
    }

    /// Layer indices where drops happen, strictly increasing.
    public let boundaries: [Int]
    /// Keep budget per boundary.
    public let budget: Budget

    /// No drops: the wrapper is exactly the plain model.
    public static let none = DropSchedule(uncheckedBoundaries: [], budget: .counts([]))

    private init(uncheckedBoundaries: [Int], budget: Budget) {
        boundaries = uncheckedBoundaries
        self.budget = budget
    }

    /// A schedule with explicit budgets, validated: boundaries strictly increasing and ≥ 1, one
    /// budget per boundary, ratios in (0, 1] and non-increasing, counts non-negative and
    /// non-increasing. (The upper bound of the boundaries is checked against a model by
    /// `validate(layerCount:)`.)
    public init(boundaries: [Int], budget: Budget) throws {
        guard zip(boundaries, boundaries.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw PyramidDropError.boundariesNotIncreasing(boundaries)
        }
        if let first = boundaries.first, first < 1 {
            throw PyramidDropError.boundaryOutOfRange(boundary: first, layerCount: 0)
        }
        switch budget {
        case .ratios(let ratios, _):
            guard ratios.count == boundaries.count else {
                throw PyramidDropError.budgetCountMismatch(boundaries: boundaries.count, budgets: ratios.count)
            }
            if let bad = ratios.first(where: { !($0 > 0 && $0 <= 1) }) { throw PyramidDropError.invalidRatio(bad) }
            guard zip(ratios, ratios.dropFirst()).allSatisfy({ $0 >= $1 }) else { throw PyramidDropError.budgetIncreasing(ratios) }
        case .counts(let counts):
            guard counts.count == boundaries.count else {
                throw PyramidDropError.budgetCountMismatch(boundaries: boundaries.count, budgets: counts.count)
            }
            if let bad = counts.first(where: { $0 < 0 }) { throw PyramidDropError.invalidKeepCount(bad) }
            guard zip(counts, counts.dropFirst()).allSatisfy({ $0 >= $1 }) else {
                throw PyramidDropError.budgetIncreasing(counts.map(Double.init))
            }
        }
        self.boundaries = boundaries
        self.budget = budget
    }

    /// PyramidDrop: stage `s` (1-based) keeps `⌊N · λ^s⌋`, with `λ^s` rounded to 10 decimal places
    /// as the reference's decimal ratio lists are (so 0.6³ is 0.216, not 0.21599999999999997).
    public static func pyramid(boundaries: [Int], lambda: Double) throws -> DropSchedule {
        guard lambda > 0 && lambda <= 1 else { throw PyramidDropError.invalidRatio(lambda) }
        let ratios = boundaries.indices.map { roundedToTenDecimals(pow(lambda, Double($0 + 1))) }
        return try DropSchedule(boundaries: boundaries, budget: .ratios(ratios, roundToEven: false))
    }

    /// FastV: one drop before layer `k`, keeping `round(N · (1 − dropRatio))` (half to even, as
    /// Python's `round`).
    public static func fastV(k: Int, dropRatio: Double) throws -> DropSchedule {
        guard dropRatio >= 0 && dropRatio < 1 else { throw PyramidDropError.invalidRatio(1 - dropRatio) }
        return try DropSchedule(boundaries: [k], budget: .ratios([1 - dropRatio], roundToEven: true))
    }

    /// Checks the boundaries against a model with `layerCount` layers (each must be in 1..<layerCount).
    public func validate(layerCount: Int) throws {
        if let bad = boundaries.first(where: { $0 < 1 || $0 >= layerCount }) {
            throw PyramidDropError.boundaryOutOfRange(boundary: bad, layerCount: layerCount)
        }
    }

    /// Number of image tokens kept from stage `stage` (0-based) on, for N original image tokens.
    public func keepCount(stage: Int, imageTokens n: Int) -> Int {
        switch budget {
        case let .ratios(ratios, roundToEven):
            let exact = Double(n) * ratios[stage]
            return min(n, Int(roundToEven ? exact.rounded(.toNearestOrEven) : exact.rounded(.down)))
        case .counts(let counts):
            return min(n, counts[stage])
        }
    }

    /// Image tokens alive in each of `layerCount` layers, for N original image tokens.
    public func imageTokensPerLayer(layerCount: Int, imageTokens n: Int) -> [Int] {
        var stage = 0
        var alive = n
        return (0..<layerCount).map { layer in
            while stage < boundaries.count && boundaries[stage] <= layer {
                alive = min(alive, keepCount(stage: stage, imageTokens: n))
                stage += 1
            }
            return alive
        }
    }

    private static func roundedToTenDecimals(_ x: Double) -> Double {
        (x * 1e10).rounded(.toNearestOrEven) / 1e10
    }
}
