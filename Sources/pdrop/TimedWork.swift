/// Timed runs of one piece of work in `pdrop bench`: what every measured variant reports.
protocol TimedWork {
    var seconds: Statistics { get }
    /// FLOPs of one run (a multiply-add is two).
    var flops: Double { get }
    /// Products oneDNN sent to the f32 fallback during the runs.
    var fallbacks: Int { get }
}

extension TimedWork {
    /// FLOPs per second at the median time, in billions.
    var gflops: Double { flops / seconds.median / 1e9 }

    /// `  [N products fell back to openblas f32]` when any did, else nothing.
    var fallbackNote: String { fallbacks > 0 ? "  [\(fallbacks) products fell back to openblas f32]" : "" }
}
