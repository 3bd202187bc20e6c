/// The official VQA accuracy of one answer, as GT-Vision-Lab/VQA
/// `PythonEvaluationTools/vqaEvaluation/vqaEval.py` `VQAEval.evaluate` computes it per question:
/// for each reference answer in turn, `min(1, matches among the other answers / 3)`, averaged
/// (ten references: 3 matching → 1, 2 → 0.6, 1 → 0.3).
///
/// As in the original, every answer is first cleaned (newline and tab to space, stripped), and
/// the full normalisation (`VQAAnswerNormalization`) runs on prediction and references only when
/// the references are not all the same string; when they are, the comparison is of the cleaned
/// text alone, so "Yes" scores 0 against ten "yes". Leaving one out is by position (the official
/// answers carry distinct ids). Any number of references works the same way; one reference always
/// scores 0, since no other answer is left to match.
public enum VQAAccuracy {
    /// The accuracy of `prediction` against `references`, in [0, 1]; nil when there are none.
    public static func score(_ prediction: String, references: [String]) -> Double? {
        guard !references.isEmpty else { return nil }
        typealias Norm = VQAAnswerNormalization
        var answers = references.map { Norm.clean(Norm.scalars($0)) }
        var result = Norm.clean(Norm.scalars(prediction))
        if Set(answers).count > 1 {
            answers = answers.map { Norm.processDigitArticle(Norm.processPunctuation($0)) }
            result = Norm.processDigitArticle(Norm.processPunctuation(result))
        }
        var total = 0.0
        for left in answers.indices {
            let matching = answers.indices.filter { $0 != left && answers[$0] == result }.count
            total += min(1, Double(matching) / 3)
        }
        return total / Double(answers.count)
    }
}
