/// Average Normalised Levenshtein Similarity for document QA (ST-VQA, DocVQA, InfographicVQA), as
/// lmms-eval computes it — EvolvingLMMs-Lab/lmms-eval `lmms_eval/api/metrics.py`, functions `anls`
/// and `levenshtein_distance` (read at commit 75571cfe), the same computation as the Robust
/// Reading Competition's evaluation script.
///
/// Both strings are stripped, lower-cased and their whitespace runs squashed to single spaces; the
/// edit distance between them (in code points) over the larger raw length (`len(s.upper())` of
/// the unnormalised strings) is the normalised distance. The score is 1 − the smallest normalised
/// distance over the references, or 0 when that is below the threshold 0.5. Two edge cases differ
/// from the papers' per-answer formula (0 when the distance is ≥ 0.5): a similarity of exactly 0.5
/// is kept, and padding whitespace lengthens the denominator; the code is what published numbers
/// come from, so it is followed.
public enum ANLS {
    /// Scores below this similarity count as 0.
    public static let threshold = 0.5

    /// The ANLS of `prediction` against `references`, in [0, 1]; nil when there are none.
    public static func score(_ prediction: String, references: [String]) -> Double? {
        guard !references.isEmpty else { return nil }
        let predicted = Array(prediction.unicodeScalars)
        let squashedPrediction = squash(predicted)
        var smallest = Double.infinity
        for reference in references {
            let raw = Array(reference.unicodeScalars)
            let length = max(PythonText.upperCount(raw), PythonText.upperCount(predicted))
            let distance = levenshtein(squash(raw), squashedPrediction)
            smallest = min(smallest, length == 0 ? 0 : Double(distance) / Double(length))
        }
        let similarity = 1 - smallest
        return similarity < threshold ? 0 : similarity
    }

    /// `" ".join(s.strip().lower().split())`.
    static func squash(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        PythonText.joined(PythonText.split(PythonText.lower(text)))
    }

    /// The edit distance (insertions, deletions, substitutions of one code point each).
    static func levenshtein(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        var row = Array(0...a.count)
        for (j, bj) in b.enumerated() {
            var next = [j + 1]
            next.reserveCapacity(a.count + 1)
            for (i, ai) in a.enumerated() {
                next.append(ai == bj ? row[i] : 1 + min(row[i], row[i + 1], next[i]))
            }
            row = next
        }
        return row[a.count]
    }
}
