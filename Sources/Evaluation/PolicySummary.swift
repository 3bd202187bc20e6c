/// One policy's figures over a whole evaluation: score, agreement with `none`, image tokens, FLOPs
/// saved, prefill time and speed-up, decode rate.
public struct PolicySummary: Sendable, Equatable {
    public var policy: String
    /// Samples answered and samples that failed (with an `error`).
    public var answered = 0, errors = 0
    /// Mean metric score over the answered samples that have reference answers (nil: none have).
    public var score: Double?
    /// Metrics used (e.g. `vqa`), sorted.
    public var metrics: [String] = []
    /// Fraction of answers equal to `none`'s (nil for `none`).
    public var agreement: Double?
    /// Mean over samples of the mean image tokens per decoder layer.
    public var meanImageTokens = 0.0
    /// Unpruned FLOPs over this policy's, summed over samples: the paper's count and the whole prompt's.
    public var flopsRatioPaper = 1.0, flopsRatioWholePrompt = 1.0
    /// Mean seconds per sample.
    public var visionSeconds = 0.0, prefillSeconds = 0.0, decodeSeconds = 0.0
    /// `none`'s mean prefill over this policy's (nil without `none`).
    public var prefillSpeedup: Double?
    /// Generated tokens per decode second.
    public var tokensPerSecond = 0.0

    /// The summary of `records` (one policy's); `baseline` is `none`'s summary when there is one.
    public init(policy: String, records: [EvalRecord], baselinePrefill: Double?) {
        self.policy = policy
        let ok = records.filter { $0.error == nil }
        answered = ok.count
        errors = records.count - ok.count
        let scores = ok.compactMap(\.score)
        score = scores.isEmpty ? nil : scores.reduce(0, +) / Double(scores.count)
        metrics = Set(ok.compactMap(\.metric)).sorted()
        let agreements = ok.compactMap(\.agreement)
        agreement = agreements.isEmpty ? nil : Double(agreements.filter { $0 }.count) / Double(agreements.count)
        guard !ok.isEmpty else { return }
        let n = Double(ok.count)
        meanImageTokens = ok.map(\.meanImageTokens).reduce(0, +) / n
        func ratio(_ vanilla: KeyPath<EvalRecord.FLOPs, Double>, _ pruned: KeyPath<EvalRecord.FLOPs, Double>) -> Double {
            let used = ok.map { $0.flops[keyPath: pruned] }.reduce(0, +)
            return used > 0 ? ok.map { $0.flops[keyPath: vanilla] }.reduce(0, +) / used : 1
        }
        flopsRatioPaper = ratio(\.paperVanilla, \.paper)
        flopsRatioWholePrompt = ratio(\.wholePromptVanilla, \.wholePrompt)
        visionSeconds = ok.map(\.visionSeconds).reduce(0, +) / n
        prefillSeconds = ok.map(\.prefillSeconds).reduce(0, +) / n
        decodeSeconds = ok.map(\.decodeSeconds).reduce(0, +) / n
        if let baselinePrefill, prefillSeconds > 0 { prefillSpeedup = baselinePrefill / prefillSeconds }
        let decode = ok.map(\.decodeSeconds).reduce(0, +)
        tokensPerSecond = decode > 0 ? Double(ok.map(\.completionTokens).reduce(0, +)) / decode : 0
    }
}
