import ArgumentParser
import Dispatch
import Foundation
import LLaVA
import LLaVAConversion
import Tensors
import Tokenizer

/// `pdrop convert`: a LLaVA checkpoint folder to another layout, dtype or shard size.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a LLaVA checkpoint between layouts (llava-hf, original), dtypes and shard sizes.",
        discussion: """
            Tensors stream one at a time into a hidden folder beside --to, renamed into place only when \
            complete; SRC is only read. original → llava-hf adds <image> and <pad> to the tokenizer files \
            and pads embed_tokens/lm_head to a multiple of 64 rows with their mean row; llava-hf → original \
            slices them back. An original LLaVA-1.5 target gets its CLIP tower as the folder vision_tower/ \
            inside --to; LLaVA-NeXT keeps the tower in the checkpoint. \
            A --to ending in .gguf writes the text model as llama.cpp's convert_hf_to_gguf.py does (--dtype f16, \
            bf16, q8_0 or q4_0 for its matrices; keep means f16) and, with --mmproj FILE.gguf, the vision tower and \
            projector as its LLaVA image-encoder converter does. \
            From a folder holding a GGUF pair (a text-model GGUF and its mmproj), a llava-hf folder: the tensors \
            un-permuted and dequantized (--dtype keep: F16/BF16/F32 as stored, block formats as f16), config.json, \
            preprocessor_config.json, and the vocabulary as tokenizer.model + tokenizer_config.json.
            """)

    @Option(help: "Source model folder (llava-hf, newer transformers or original layout; safetensors or PyTorch .bin; or a folder holding a GGUF pair).")
    var from: String

    @Option(help: "Destination folder (refused if it exists, unless --force).")
    var to: String

    @Option(help: "With a .gguf --to: where to write the mmproj GGUF (vision tower and projector).")
    var mmproj: String?

    @Option(help: "Target layout: llava-hf, llava-hf-new or original.")
    var layout = "llava-hf"

    @Option(help: "Stored dtype of float tensors: keep, f32, f16 or bf16 (round to nearest even); for a .gguf --to: f16, bf16, q8_0 or q4_0.")
    var dtype = "keep"

    @Option(help: "Largest shard, e.g. 5GB, 500MB, 2GiB or a byte count.")
    var maxShardSize = "5GB"

    @Option(help: "The separate CLIP folder of an original LLaVA-1.5 checkpoint (default: mm_vision_tower when local).")
    var visionTower: String?

    @Flag(help: "Replace an existing destination (once the new folder is complete).")
    var force = false

    static let dtypes: [String: DType?] = ["keep": nil, "f32": .f32, "f16": .f16, "bf16": .bf16]

    var writesGGUF: Bool { to.hasSuffix(".gguf") }

    func validate() throws {
        if writesGGUF {
            guard dtype == "keep" || GGUFExport.textTypes[dtype] != nil else { throw ValidationError("--dtype for a .gguf --to must be f16, bf16, q8_0 or q4_0") }
            guard mmproj?.hasSuffix(".gguf") ?? true else { throw ValidationError("--mmproj must name a .gguf file") }
            return
        }
        guard mmproj == nil else { throw ValidationError("--mmproj goes with a .gguf --to") }
        guard LLaVALayout(rawValue: layout) != nil else { throw ValidationError("--layout must be llava-hf, llava-hf-new or original") }
        guard Self.dtypes[dtype] != nil else { throw ValidationError("--dtype must be keep, f32, f16 or bf16") }
        do { _ = try ShardSize(parsing: maxShardSize) } catch { throw ValidationError("--max-shard-size: \(error)") }
    }

    /// Writes the GGUF pair (refusing existing files unless --force).
    func runGGUF() throws {
        for path in [to, mmproj].compactMap({ $0 }) where FileManager.default.fileExists(atPath: path) && !force {
            throw ConversionError.destinationExists(path: path)
        }
        let checkpoint: LLaVACheckpoint, tokenizer: Tokenizer
        if let pair = try GGUFPair.inFolder(from) {
            (checkpoint, tokenizer) = (try LLaVACheckpoint(gguf: pair), try Tokenizer(gguf: pair.model))
        } else {
            (checkpoint, tokenizer) = (try LLaVACheckpoint(folder: from, visionTower: visionTower), try Tokenizer(folder: from))
        }
        let report = try GGUFExport.write(checkpoint, tokenizer: tokenizer, text: to, mmproj: mmproj,
                                          type: GGUFExport.textTypes[dtype == "keep" ? "f16" : dtype]!)
        print("\(to): \(report.tensorCount) tensors, \(report.byteCount) bytes, \(checkpoint.gguf == nil ? checkpoint.layout.rawValue : "GGUF") → GGUF (\(dtype == "keep" ? "f16" : dtype))")
        for file in report.files { print("  wrote \(file)") }
    }

    func run() throws {
        if writesGGUF { return try runGGUF() }
        let options = ConversionOptions(layout: LLaVALayout(rawValue: layout)!, dtype: Self.dtypes[dtype]!,
                                        maxShardSize: try ShardSize(parsing: maxShardSize), visionTower: visionTower, overwrite: force)
        let interrupt = InterruptFlag()
        let bar = isatty(STDERR_FILENO) == 1 ? ProgressBar() : nil
        let report: ConversionReport
        do {
            report = try LLaVAConverter(source: from, options: options).convert(to: to) { progress in
                if interrupt.isSet { throw ConversionError.cancelled }
                bar?.show(progress)
            }
        } catch {
            bar?.finish()
            throw error
        }
        bar?.finish()
        let plan = report.plan
        print("\(report.destination): \(plan.tensorCount) tensors, \(plan.byteCount) bytes, \(plan.sourceLayout.rawValue) → \(plan.targetLayout.rawValue)"
            + (plan.isNeXT ? " (LLaVA-NeXT)" : ""))
        for file in report.files { print("  wrote \(file)") }
        for note in plan.notes { print("  \(note)") }
        if !plan.droppedTensors.isEmpty { print("  dropped \(plan.droppedTensors.count) buffers (rotary inv_freq, position_ids)") }
        if !plan.skippedTensors.isEmpty { print("  skipped \(plan.skippedTensors.count) CLIP tensors outside vision_model") }
        if !plan.ignoredFiles.isEmpty { print("  not carried: " + plan.ignoredFiles.joined(separator: ", ")) }
    }
}

/// Set when SIGINT or SIGTERM arrives; the conversion then stops at the next tensor and removes
/// its temporary folder (the signal's default action would leave it behind).
final class InterruptFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var set = false
    private var sources: [DispatchSourceSignal] = []

    init() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                self.lock.lock()
                self.set = true
                self.lock.unlock()
            }
            source.resume()
            sources.append(source)
        }
    }

    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return set
    }
}

/// A one-line progress bar on standard error: tensors, bytes and rate.
final class ProgressBar {
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false

    func show(_ progress: ConversionProgress) {
        let now = Date()
        let complete = progress.tensorsDone == progress.tensorsTotal
        guard complete || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        let fraction = progress.bytesTotal > 0 ? Double(progress.bytesDone) / Double(progress.bytesTotal) : 1
        let width = 30, filled = Int((fraction * Double(width)).rounded(.down))
        let rate = Double(progress.bytesDone) / max(now.timeIntervalSince(start), 1e-3)
        let line = "\r[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
            + "\(progress.tensorsDone)/\(progress.tensorsTotal) tensors  \(Self.bytes(progress.bytesDone))/\(Self.bytes(progress.bytesTotal))  \(Self.bytes(Int(rate)))/s "
        FileHandle.standardError.write(Data(line.utf8))
        drawn = true
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
        drawn = false
    }

    static func bytes(_ n: Int) -> String {
        let value = Double(n)
        if value >= 1e9 { return String(format: "%.2f GB", value / 1e9) }
        if value >= 1e6 { return String(format: "%.1f MB", value / 1e6) }
        return String(format: "%.1f kB", value / 1e3)
    }
}
