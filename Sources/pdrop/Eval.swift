import ArgumentParser
import Evaluation
import Foundation
import WeightIO

/// `pdrop eval`: every policy side by side on a dataset, sharded and resumable; `pdrop eval
/// report DIR` merges the shards into a table, `report.json` and a plot.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate token policies side by side on a dataset (sharded, resumable); `pdrop eval report DIR` merges the shards.",
        subcommands: [EvalRun.self, EvalReportCommand.self], defaultSubcommand: EvalRun.self)

    /// The tool's version, recorded in every shard manifest.
    static let version = "0.9.0"
}

struct EvalRun: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Answer every sample of a shard under every policy.")

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "JSONL dataset: one {\"id\", \"image\" (relative to the file), \"question\", \"answers\": [...], \"choices\": [...]} per line.")
    var data: String

    @Option(help: "Comma-separated policies as run's --policy spells them, a budget after ':' (e.g. none,pdrop,fastv,visionzip:64); none is added first when missing (agreement is measured against it).")
    var policies = "none,pdrop"

    @Option(help: "Results folder: shard-I-of-N.jsonl (a line per sample and policy, fsync'd), shard-I-of-N.manifest.json.")
    var out: String

    @Option(help: "This process's shard I/N, or auto/N (I from SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN or JOB_COMPLETION_INDEX).")
    var shard = "0/1"

    @Option(help: "Evaluate only the first K samples of the file (before sharding).")
    var limit: Int?

    @Option(help: "Upper bound on generated tokens per answer (greedy).")
    var maxNewTokens = 16

    @Option(help: "Appended on a new line after each question (after the options of a multiple-choice one); the default is LLaVA's evaluation instruction for the sample's kind, \"\" for none.")
    var promptSuffix: String?

    @Option(help: "Metric: auto (option accuracy with choices, VQA accuracy with ten answers, else exact match), vqa, exact, anls or option.")
    var metric = "auto"

    @OptionGroup var computeOptions: ComputeOptions

    func validate() throws {
        guard maxNewTokens >= 1 else { throw ValidationError("--max-new-tokens must be at least 1") }
        if let limit, limit < 0 { throw ValidationError("--limit must not be negative") }
        do { _ = try ShardSpec(parsing: shard, environment: ProcessInfo.processInfo.environment) } catch { throw ValidationError("\(error)") }
        for spelling in Self.policyList(policies) {
            do { try EvalRunner.request(spelling).validate() } catch { throw ValidationError("--policies \(spelling): \(error)") }
        }
        guard MetricChoice(metric) != nil else { throw ValidationError("--metric must be auto, vqa, exact, anls or option") }
    }

    /// The policies to run, `none` first.
    static func policyList(_ text: String) -> [String] {
        let given = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return given.contains("none") ? ["none"] + given.filter { $0 != "none" } : ["none"] + given
    }

    func run() throws {
        try computeOptions.apply()
        let spec = try ShardSpec(parsing: shard, environment: ProcessInfo.processInfo.environment)
        let runner = try EvalRunner(model: modelOptions, compute: computeOptions.compute,
                                    policies: Self.policyList(policies), maxNewTokens: maxNewTokens, promptSuffix: promptSuffix,
                                    metric: MetricChoice(metric)!)
        try runner.run(data: data, out: out, shard: spec, limit: limit)
    }
}

struct EvalReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report",
                                                    abstract: "Merge a folder's shards: a Markdown table, report.json, report.png and report.svg.")

    @Argument(help: "The --out folder of the shards.")
    var folder: String

    func run() throws {
        let report = try EvalReport(folder: folder)
        print(report.markdown, terminator: "")
        try FileBytes.writeAtomically(Array((report.json.serialized(pretty: true) + "\n").utf8), to: folder + "/report.json")
        try ReportPlot(report).write(png: folder + "/report.png", svg: folder + "/report.svg")
        FileHandle.standardError.write(Data("[pdrop eval] wrote \(folder)/report.json, report.png, report.svg\n".utf8))
    }
}
