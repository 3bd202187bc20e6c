import WeightIO

/// Median, minimum and maximum of a few timings.
struct Statistics {
    let median: Double, min: Double, max: Double

    init(_ values: [Double]) {
        let sorted = values.sorted()
        median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        min = sorted.first!
        max = sorted.last!
    }

    var json: JSON { .object(["median": .double(median), "min": .double(min), "max": .double(max)]) }
    var text: String { text("s") }

    /// "median unit (min–max)".
    func text(_ unit: String) -> String { "\(Bench.format(median)) \(unit) (\(Bench.format(min))–\(Bench.format(max)))" }
}
