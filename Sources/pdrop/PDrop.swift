import ArgumentParser
import Foundation

/// `pdrop`: PyramidDrop inference toolkit for LLaVA-family models on the CPU.
@main
struct PDrop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pdrop",
        abstract: "PyramidDrop inference for LLaVA-family vision-language models on the CPU.",
        subcommands: [Run.self, Serve.self, Eval.self, Convert.self, Inspect.self, Tokenize.self, Bench.self]
    )

    /// ArgumentParser's `main`, except that the error is reported and released before the process
    /// exits: ArgumentParser exits from inside its `catch`, with the error (and what it holds) still
    /// alive, which LeakSanitizer reports as leaked in every failing command run under ASan.
    static func main() async {
        let status: Int32
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            status = ExitCode.success.rawValue
        } catch {
            status = report(error)
        }
        Foundation.exit(status)
    }

    /// Prints `error` as ArgumentParser does (help and clean exits on stdout, the rest on stderr)
    /// and returns its exit status.
    private static func report(_ error: Error) -> Int32 {
        let code = exitCode(for: error)
        let message = fullMessage(for: error)
        if !message.isEmpty {
            if code.isSuccess { print(message) } else { FileHandle.standardError.write(Data((message + "\n").utf8)) }
        }
        return code.rawValue
    }
}
