// Convert a LLaVA checkpoint between layouts and dtypes with the library API (what `pdrop convert`
// does), then load the result. Usage: swift run ConvertWeights [SOURCE DESTINATION]
// (default: the shipped tiny original-layout LLaVA-1.5 → a bf16 llava-hf folder in a temp dir).
import Foundation
import LLaVA
import LLaVAConversion
import Tensors

@main struct ConvertWeights {
    static func main() throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let source = arguments.first ?? "Tests/Fixtures/llava/tiny-llava-original"
        let destination = arguments.count > 1 ? arguments[1]
            : FileManager.default.temporaryDirectory.appendingPathComponent("tiny-llava-hf-bf16-\(getpid())").path

        // Plan first: what will be written, renamed, dropped — nothing touches the disk yet.
        let converter = LLaVAConverter(source: source, options: ConversionOptions(layout: .huggingFace, dtype: .bf16,
                                                                                  maxShardSize: try ShardSize(parsing: "200KB")))
        let plan = try converter.plan()
        print("\(plan.sourceLayout.rawValue) → \(plan.targetLayout.rawValue): \(plan.tensorCount) tensors, \(plan.byteCount) bytes")
        plan.notes.forEach { print("  note: \($0)") }

        // Convert: tensors stream one at a time into a hidden folder renamed into place at the end.
        let report = try converter.convert(to: destination) { progress in
            if progress.tensorsDone == progress.tensorsTotal { print("  wrote \(progress.bytesDone) bytes") }
        }
        print("  files: \(report.files.sorted().joined(separator: ", "))")

        // The converted folder loads like any other checkpoint.
        let model = try LLaVAModel(folder: destination)
        print("loaded \(model.checkpoint.layout.rawValue) model: \(model.language.layers.count) layers, vocabulary \(model.language.vocabularySize), "
            + "embeddings stored as \(model.language.embedTokens.dtype.rawValue)")
        if arguments.count < 2 { try FileManager.default.removeItem(atPath: destination) }
    }
}
