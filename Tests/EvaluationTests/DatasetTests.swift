import Evaluation
import Foundation
import TestSupport
import Testing

/// Reading JSONL datasets: fields, image paths relative to the file, and one-line errors that
/// name the line for everything the file gets wrong.
@Suite struct DatasetTests {
    let folder: TemporaryDirectory

    init() throws { folder = try TemporaryDirectory("pdrop-eval") }

    func write(_ text: String) throws -> String { try folder.write(Array(text.utf8), to: "data.jsonl") }

    @Test func readsSamples() throws {
        let path = try write("""
            {"id": "q1", "image": "img/a.png", "question": "What?", "answers": ["cat", "cat"]}

            {"id": 7, "image": "/abs/b.jpg", "question": "Which?", "choices": ["red", "blue"], "extra": 1}
            {"id": "t", "question": ""}
            """)
        let samples = try EvalDataset.read(path)
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        #expect(samples == [
            EvalSample(id: "q1", image: folder + "/img/a.png", question: "What?", answers: ["cat", "cat"]),
            EvalSample(id: "7", image: "/abs/b.jpg", question: "Which?", choices: ["red", "blue"]),
            EvalSample(id: "t", image: nil, question: ""),
        ])
    }

    @Test(arguments: [
        ("{\"id\": 1, \"question\": \"a\"}\n{bad", 2, "not JSON"),
        ("[1]", 1, "not a JSON object"),
        ("{\"question\": \"a\"}", 1, "no \"id\""),
        ("{\"id\": 1.5, \"question\": \"a\"}", 1, "neither a string nor an integer"),
        ("{\"id\": 1}", 1, "no \"question\" string"),
        ("{\"id\": 1, \"question\": \"a\", \"answers\": \"x\"}", 1, "\"answers\" is not a list"),
        ("{\"id\": 1, \"question\": \"a\", \"choices\": [1]}", 1, "\"choices\" holds a non-string"),
        ("{\"id\": 1, \"question\": \"a\", \"image\": 3}", 1, "\"image\" is not a string"),
        ("{\"id\": 1, \"question\": \"a\"}\n{\"id\": \"1\", \"question\": \"b\"}", 2, "id \"1\" repeats line 1"),
    ])
    func refusesNamingTheLine(text: String, line: Int, problem: String) throws {
        let path = try write(text)
        let message = "\(#expect(throws: EvaluationError.self) { try EvalDataset.read(path) }.map(String.init(describing:)) ?? "")"
        #expect(message.hasPrefix("\(path):\(line): "), "\(message)")
        #expect(message.contains(problem), "\(message)")
    }
}
