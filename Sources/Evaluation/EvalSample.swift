import Foundation
import WeightIO

/// One sample of an evaluation dataset: a question about an image, with reference answers and,
/// for multiple choice, the options.
public struct EvalSample: Sendable, Equatable {
    /// Unique within the dataset (a JSON string or integer in the file, kept as text).
    public var id: String
    /// The image file, resolved against the dataset file's folder (nil for a text-only question).
    public var image: String?
    public var question: String
    /// Reference answers (VQA has ten per question); empty when the dataset has none.
    public var answers: [String]
    /// Options of a multiple-choice question, in order (A, B, C, …); empty otherwise.
    public var choices: [String]

    public init(id: String, image: String?, question: String, answers: [String] = [], choices: [String] = []) {
        self.id = id
        self.image = image
        self.question = question
        self.answers = answers
        self.choices = choices
    }
}

/// Reads a JSONL dataset: one object per line with `id`, `image` (a path relative to the file),
/// `question`, optional `answers` (list of strings) and `choices`. Blank lines are skipped. A line
/// that is not such an object, or repeats an id, fails the whole read naming its line: the file
/// must be fixed before any work is spent on it. An empty question or a missing image is not a
/// read error; the run reports it for that sample.
public enum EvalDataset {
    /// Longest line accepted (a sample is a few hundred bytes; this bounds memory on a bad file).
    public static let maxLineBytes = 1 << 20

    public static func read(_ path: String) throws -> [EvalSample] { try load(path).samples }

    /// `read`, with the SHA-256 of the file's bytes (for the shard manifest), from one read of it.
    public static func load(_ path: String) throws -> (samples: [EvalSample], sha256: String) {
        let bytes = try FileBytes.read(path)
        return (try parse(bytes, path: path), SHA256.hex(bytes))
    }

    static func parse(_ bytes: [UInt8], path: String) throws -> [EvalSample] {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        var samples: [EvalSample] = [], lines: [String: Int] = [:]
        var lineNumber = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            guard line.count <= maxLineBytes else {
                throw EvaluationError.malformedLine(file: path, line: lineNumber, problem: "longer than \(maxLineBytes) bytes")
            }
            guard let text = String(validating: line, as: UTF8.self) else {
                throw EvaluationError.malformedLine(file: path, line: lineNumber, problem: "not valid UTF-8")
            }
            guard !text.allSatisfy(\.isWhitespace) else { continue }
            let sample = try parse(text, file: path, line: lineNumber, folder: folder)
            if let first = lines[sample.id] {
                throw EvaluationError.malformedLine(file: path, line: lineNumber, problem: "id \"\(sample.id)\" repeats line \(first)")
            }
            lines[sample.id] = lineNumber
            samples.append(sample)
        }
        return samples
    }

    static func parse(_ text: String, file: String, line: Int, folder: URL) throws -> EvalSample {
        func fail(_ problem: String) -> EvaluationError { .malformedLine(file: file, line: line, problem: problem) }
        let json: JSON
        do { json = try JSON.parse(text, source: "\(file):\(line)") } catch { throw fail("not JSON (\(error))") }
        guard case .object(let fields) = json else { throw fail("not a JSON object") }
        let id: String
        switch fields["id"] {
        case .string(let value)?: id = value
        case .int(let value)?: id = String(value)
        case nil: throw fail("no \"id\"")
        default: throw fail("\"id\" is neither a string nor an integer")
        }
        func strings(_ key: String) throws -> [String] {
            guard let value = fields[key], value != .null else { return [] }
            guard case .array(let items) = value else { throw fail("\"\(key)\" is not a list") }
            return try items.map {
                guard let text = $0.stringValue else { throw fail("\"\(key)\" holds a non-string") }
                return text
            }
        }
        let image: String?
        switch fields["image"] {
        case .string(let relative)?: image = relative.hasPrefix("/") ? relative : folder.appendingPathComponent(relative).path
        case nil, .null?: image = nil
        default: throw fail("\"image\" is not a string")
        }
        guard let question = fields["question"]?.stringValue else { throw fail("no \"question\" string") }
        return EvalSample(id: id, image: image, question: question, answers: try strings("answers"), choices: try strings("choices"))
    }
}
