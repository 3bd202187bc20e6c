/// Exact match: 1 when the prediction, with surrounding whitespace removed and lower-cased, equals
/// any reference treated the same way, else 0. Deliberately simpler than the VQA normalisation (no
/// punctuation, article or number-word rules), so it says exactly what it checks; comparison is
/// Swift `String` equality (canonically equivalent spellings are equal).
public enum ExactMatch {
    /// 1 or 0; nil when there are no references.
    public static func score(_ prediction: String, references: [String]) -> Double? {
        guard !references.isEmpty else { return nil }
        let predicted = key(prediction)
        return references.contains { key($0) == predicted } ? 1 : 0
    }

    static func key(_ text: String) -> String {
        String(String.UnicodeScalarView(PythonText.strip(Array(text.unicodeScalars)))).lowercased()
    }
}
