/// A one-line error of the command-line tool itself (library errors carry their own types).
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
