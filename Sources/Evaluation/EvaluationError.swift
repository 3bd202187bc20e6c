/// What goes wrong reading an evaluation's inputs and results, as one line naming the file (and
/// line) and the problem.
public enum EvaluationError: Error, CustomStringConvertible, Equatable {
    case malformedLine(file: String, line: Int, problem: String)
    case invalid(String)

    public var description: String {
        switch self {
        case let .malformedLine(file, line, problem): return "\(file):\(line): \(problem)"
        case let .invalid(message): return message
        }
    }
}
