import ArgumentParser

/// `pdrop`: PyramidDrop inference toolkit for LLaVA-family models on the CPU.
@main
struct PDrop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pdrop",
        abstract: "PyramidDrop inference for LLaVA-family vision-language models on the CPU.",
        subcommands: [Run.self, Serve.self, Eval.self, Convert.self, Inspect.self, Tokenize.self, Bench.self]
    )
}
