/// Which option of a multiple-choice question an answer picked, by the simple matching of
/// VLMEvalKit (open-compass/VLMEvalKit `vlmeval/utils/matching_util.py`, `can_infer` =
/// `can_infer_option` then `can_infer_text`, as it stood from 2023 to commit aca64dbb, 2025-04),
/// and the option accuracy built on it.
///
/// Options are lettered A, B, C, … in order (at most 26). In this order:
/// 1. an answer equal to one option's text (stripped, lower-cased) picks it — an addition to
///    VLMEvalKit, so that "A dog" as the text of option B is not read as the letter A;
/// 2. `can_infer_option`: with each of `.()[],:;!*#{}` turned into a space, the answer's words
///    are compared to the letters (case matters: "a" is an article); exactly one letter among them
///    picks it ("B", "(B)", "B. red", "B: red", "The answer is B.");
/// 3. `can_infer_text`: unless the lower-cased answer is over twice as long as all the options'
///    texts together, exactly one option whose lower-cased text occurs in it picks that option.
/// Otherwise nothing is picked. VLMEvalKit's "Z" answers (refusals, API failures) are not
/// reproduced; its later versions also require the letter to be among the last five words and read
/// "the answer is X" — not followed here.
public enum OptionMatch {
    /// The characters `can_infer_option` turns into spaces before looking for a letter.
    static let separators: Set<Unicode.Scalar> = Set(".()[],:;!*#{}".unicodeScalars)

    /// The index of the option `answer` picked among `choices`, or nil.
    public static func pick(_ answer: String, choices: [String]) -> Int? {
        let options = Array(choices.prefix(26))
        let key = textKey(answer)
        if let same = options.firstIndex(where: { textKey($0) == key }) { return same }
        if let byLetter = pickByLetter(answer, count: options.count) { return byLetter }
        return pickByText(answer, options: options)
    }

    /// Option accuracy: 1 when `prediction` picks the option a reference names (an option's text,
    /// or anything `pick` reads as an option, such as the letter), else 0; nil without references.
    public static func score(_ prediction: String, choices: [String], references: [String]) -> Double? {
        guard !references.isEmpty else { return nil }
        guard let picked = pick(prediction, choices: choices) else { return 0 }
        return references.contains { pick($0, choices: choices) == picked } ? 1 : 0
    }

    static func letter(_ index: Int) -> Unicode.Scalar { Unicode.Scalar(UInt8(ascii: "A") + UInt8(index)) }

    static func textKey(_ text: String) -> [Unicode.Scalar] { PythonText.lower(PythonText.strip(Array(text.unicodeScalars))) }

    /// `can_infer_option`, without the "Z" answers.
    static func pickByLetter(_ answer: String, count: Int) -> Int? {
        let spaced = answer.unicodeScalars.map { separators.contains($0) ? " " : $0 }
        let words = Set(PythonText.split(spaced))
        let named = (0..<count).filter { words.contains([letter($0)]) }
        return named.count == 1 ? named[0] : nil
    }

    /// `can_infer_text`.
    static func pickByText(_ answer: String, options: [String]) -> Int? {
        let lowered = PythonText.lower(Array(answer.unicodeScalars))
        let budget = 2 * options.reduce(0) { $0 + $1.unicodeScalars.count }
        guard lowered.count <= budget else { return nil }
        let found = options.indices.filter { PythonText.contains(lowered, PythonText.lower(Array(options[$0].unicodeScalars))) }
        return found.count == 1 ? found[0] : nil
    }
}
