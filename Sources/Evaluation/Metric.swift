/// How a prediction is scored against a sample's reference answers. The raw values are the names
/// a command line uses.
public enum Metric: String, Sendable, CaseIterable {
    /// The official VQA accuracy (`VQAAccuracy`), for ten crowd answers.
    case vqa
    /// Stripped, lower-cased equality with any reference (`ExactMatch`).
    case exactMatch = "exact"
    /// Average normalised Levenshtein similarity for document QA (`ANLS`); never chosen
    /// automatically — a run asks for it (`--metric anls`).
    case anls
    /// Whether the answer picked the reference option of a multiple-choice question (`OptionMatch`).
    case option

    /// The metric a sample calls for when none is asked: `.option` when it has choices, else
    /// `.vqa` when it has exactly ten answers (the VQA layout), else `.exactMatch`.
    public static func choose(for sample: EvalSample) -> Metric {
        if !sample.choices.isEmpty { return .option }
        return sample.answers.count == 10 ? .vqa : .exactMatch
    }

    /// The score of `prediction` on `sample`, in [0, 1]; nil when the sample has no answers.
    public func score(_ prediction: String, sample: EvalSample) -> Double? {
        switch self {
        case .vqa: return VQAAccuracy.score(prediction, references: sample.answers)
        case .exactMatch: return ExactMatch.score(prediction, references: sample.answers)
        case .anls: return ANLS.score(prediction, references: sample.answers)
        case .option: return OptionMatch.score(prediction, choices: sample.choices, references: sample.answers)
        }
    }
}
