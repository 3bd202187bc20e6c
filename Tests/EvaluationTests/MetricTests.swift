@testable import Evaluation
import TestSupport
import Testing
import WeightIO

/// The metrics against `Tests/Fixtures/eval/metric_cases.json`, written by
/// `make_metric_fixtures.py` from Python ports of the official VQA evaluation (vqaEval.py) and of
/// lmms-eval's ANLS, and against values worked out by hand from the definitions.
@Suite struct MetricTests {
    /// The fixture, or nil when it does not read (then `fixtureHasEveryKindOfCase` fails).
    static let cases = try? JSON.parse(contentsOf: Fixtures.path("eval/metric_cases.json"))

    static func list(_ key: String) -> [JSON] { cases?[key]?.arrayValue ?? [] }

    static func strings(_ value: JSON?) -> [String] { value?.arrayValue?.compactMap(\.stringValue) ?? [] }

    func text(_ scalars: [Unicode.Scalar]) -> String { String(String.UnicodeScalarView(scalars)) }

    @Test func fixtureHasEveryKindOfCase() {
        #expect(Self.list("normalisation").count > 90)
        #expect(Self.list("vqa").count > 30)
        #expect(Self.list("anls").count > 20)
    }

    @Test(arguments: list("normalisation"))
    func normalisesAsVqaEval(_ item: JSON) throws {
        let input = try #require(item["input"]?.stringValue)
        let scalars = VQAAnswerNormalization.scalars(input)
        #expect(text(VQAAnswerNormalization.processPunctuation(scalars)) == item["punctuation"]?.stringValue, "\(input.debugDescription)")
        #expect(text(VQAAnswerNormalization.processDigitArticle(scalars)) == item["digitArticle"]?.stringValue, "\(input.debugDescription)")
        #expect(text(VQAAnswerNormalization.processDigitArticle(VQAAnswerNormalization.processPunctuation(scalars))) == item["both"]?.stringValue)
    }

    @Test(arguments: list("vqa"))
    func vqaAccuracyAsVqaEval(_ item: JSON) throws {
        let prediction = try #require(item["prediction"]?.stringValue)
        let expected = try #require(item["accuracy"]?.doubleValue)
        let score = try #require(VQAAccuracy.score(prediction, references: Self.strings(item["answers"])))
        #expect(abs(score - expected) <= 1e-12, "\(prediction.debugDescription): \(score) vs \(expected)")
    }

    @Test(arguments: list("anls"))
    func anlsAsLmmsEval(_ item: JSON) throws {
        let prediction = try #require(item["prediction"]?.stringValue)
        let expected = try #require(item["anls"]?.doubleValue)
        let score = try #require(ANLS.score(prediction, references: Self.strings(item["answers"])))
        #expect(abs(score - expected) <= 1e-9, "\(prediction.debugDescription): \(score) vs \(expected)")
    }

    /// The VQA paper's accuracy, min(#humans that said it / 3, 1), averaged over the ten subsets of
    /// nine: with k of ten matching, (10 − k)·min(k/3, 1) + k·min((k − 1)/3, 1), over ten.
    @Test func vqaAccuracyFollowsThePaper() throws {
        let expected: [Int: Double] = [0: 0, 1: 0.3, 2: 0.6, 3: 0.9, 4: 1, 10: 1]
        for (k, value) in expected {
            let answers = Array(repeating: "cat", count: k) + Array(repeating: "dog", count: 10 - k)
            let score = try #require(VQAAccuracy.score("cat", references: answers))
            #expect(abs(score - value) <= 1e-12, "\(k) matching")
        }
        let normalised = try #require(VQAAccuracy.score("Two Dogs!", references: Array(repeating: "2 dogs", count: 3) + Array(repeating: "3", count: 7)))
        #expect(abs(normalised - 0.9) <= 1e-12)
        #expect(VQAAccuracy.score("cat", references: []) == nil)
    }

    @Test func anlsByHand() {
        #expect(ANLS.score("hallo", references: ["hello"]) == 1 - 1.0 / 5)
        #expect(ANLS.score("hxxlx", references: ["hello"]) == 0)
        #expect(ANLS.score("nyc", references: ["new york", "NYC"]) == 1)
        #expect(ANLS.score("", references: [""]) == 1)
        #expect(ANLS.score("x", references: []) == nil)
    }

    @Test func exactMatch() {
        #expect(ExactMatch.score("  Paris\n", references: ["london", "PARIS"]) == 1)
        #expect(ExactMatch.score("Paris.", references: ["paris"]) == 0)
        #expect(ExactMatch.score("", references: [" "]) == 1)
        #expect(ExactMatch.score("x", references: []) == nil)
    }

    @Test func picksOptions() {
        let choices = ["red", "blue", "A dog", "green apple"]
        let picks: [(String, Int?)] = [
            ("B", 1), ("(B)", 1), ("B.", 1), ("B: blue", 1), ("The answer is D.", 3), ("**C**", 2),
            ("blue", 1), ("Blue ", 1), ("a dog", 2), ("A dog", 2), ("it is blue", 1), ("green apple!", 3),
            ("A or B", nil), ("b", nil), ("purple", nil), ("red and blue", nil), ("E", nil), ("", nil),
            ("blue " + String(repeating: "x", count: 60), nil),
        ]
        for (answer, index) in picks {
            #expect(OptionMatch.pick(answer, choices: choices) == index, "\(answer.debugDescription)")
        }
    }

    @Test func optionAccuracy() {
        let choices = ["red", "blue", "green"]
        #expect(OptionMatch.score("B. blue", choices: choices, references: ["B"]) == 1)
        #expect(OptionMatch.score("blue", choices: choices, references: ["B"]) == 1)
        #expect(OptionMatch.score("B", choices: choices, references: ["blue"]) == 1)
        #expect(OptionMatch.score("C", choices: choices, references: ["B"]) == 0)
        #expect(OptionMatch.score("no idea", choices: choices, references: ["B"]) == 0)
        #expect(OptionMatch.score("B", choices: choices, references: []) == nil)
    }

    @Test func choosesAndScores() {
        let ten = EvalSample(id: "v", image: nil, question: "?", answers: Array(repeating: "yes", count: 10))
        let few = EvalSample(id: "e", image: nil, question: "?", answers: ["Paris"])
        let choice = EvalSample(id: "o", image: nil, question: "?", answers: ["A"], choices: ["cat", "dog"])
        let none = EvalSample(id: "n", image: nil, question: "?")
        #expect(Metric.choose(for: ten) == .vqa)
        #expect(Metric.choose(for: few) == .exactMatch)
        #expect(Metric.choose(for: choice) == .option)
        #expect(Metric.choose(for: none) == .exactMatch)
        #expect(Metric.vqa.score("yes", sample: ten) == 1)
        #expect(Metric.exactMatch.score("paris", sample: few) == 1)
        #expect(Metric.anls.score("Pariss", sample: few) == 1 - 1.0 / 6)
        #expect(Metric.option.score("A) cat", sample: choice) == 1)
        for metric in Metric.allCases { #expect(metric.score("yes", sample: none) == nil) }
        #expect(Metric(rawValue: "anls") == .anls)
    }
}
