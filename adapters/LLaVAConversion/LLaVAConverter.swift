import Foundation
import WeightIO

/// Converts a LLaVA checkpoint folder between layouts (llava-hf, the newer transformers prefixes,
/// the original repository), dtypes and shard sizes.
///
/// ```swift
/// let converter = LLaVAConverter(source: "llava-v1.5-7b", options: ConversionOptions(
///     layout: .huggingFace, dtype: .bf16, visionTower: "clip-vit-large-patch14-336"))
/// let report = try converter.convert(to: "llava-1.5-7b-hf")
/// ```
///
/// - Tensors stream one at a time (peak memory about the largest tensor); names go through the
///   layouts' tables (`TensorNameMap`); `*.rotary_emb.inv_freq` and `*.position_ids` are dropped.
/// - Original → llava-hf: the CLIP folder is merged under `vision_tower.vision_model.`;
///   `<image>` and `<pad>` join the tokenizer files at the next ids; embed_tokens and lm_head are
///   padded to a multiple of 64 rows with their mean row; the nested config is written.
/// - llava-hf → original: the rows are sliced back to the tokenizer's vocabulary without
///   `<image>`/`<pad>`, which leave the tokenizer files; a flat config with `mm_*` fields is
///   written. LLaVA-NeXT keeps its tower inside (`model.vision_tower.vision_tower.vision_model.`);
///   LLaVA-1.5 gets a CLIP folder `vision_tower/` inside the destination, named by
///   `mm_vision_tower` (resolved relative to the model folder, as `LLaVACheckpoint` does).
/// - Everything is written to a hidden folder beside the destination and renamed into place only
///   when complete; the source is only read.
public struct LLaVAConverter: Sendable {
    /// The source model folder.
    public let source: String
    public let options: ConversionOptions

    public init(source: String, options: ConversionOptions = ConversionOptions()) {
        self.source = source
        self.options = options
    }

    /// Decides the conversion without writing anything.
    public func plan() throws -> ConversionPlan {
        try ConversionPlanner(source: source, options: options).plan()
    }

    /// Converts into `destination`. `progress` is called before each tensor and after each shard;
    /// if it throws (for example `ConversionError.cancelled`), the conversion stops, its temporary
    /// folder is removed and the error is rethrown.
    @discardableResult
    public func convert(to destination: String, progress: ((ConversionProgress) throws -> Void)? = nil) throws -> ConversionReport {
        let target = URL(fileURLWithPath: destination).standardizedFileURL.resolvingSymlinksInPath().path
        let origin = URL(fileURLWithPath: source).standardizedFileURL.resolvingSymlinksInPath().path
        if target == origin || target.hasPrefix(origin + "/") || origin.hasPrefix(target + "/") {
            throw ConversionError.overlappingFolders(source: origin, destination: target)
        }
        if StagingFolder.exists(target), !options.overwrite { throw ConversionError.destinationExists(path: target) }
        let plan = try plan()
        let staging = try StagingFolder(destination: target, overwrite: options.overwrite)
        defer { staging.discard() }
        var state = ConversionProgress(tensorsDone: 0, tensorsTotal: plan.tensorCount, bytesDone: 0, bytesTotal: plan.byteCount)
        var files: [String] = []
        for folder in plan.folders {
            let path = folder.relativePath.isEmpty ? staging.path : try staging.subfolder(folder.relativePath)
            let prefix = folder.relativePath.isEmpty ? "" : folder.relativePath + "/"
            let base = (state.tensorsDone, state.bytesDone)
            let shards = try ShardedCheckpointWriter.write(folder.tensors, maxBytes: options.maxShardSize.bytes, into: path) { tensors, bytes, next in
                state.tensorsDone = base.0 + tensors
                state.bytesDone = base.1 + bytes
                state.current = next
                try progress?(state)
            }
            files += shards.map { prefix + $0 }
            for name in folder.files.keys.sorted() {
                try FileBytes.writeAtomically(folder.files[name]!, to: path + "/" + name)
                files.append(prefix + name)
            }
        }
        try staging.install(overwrite: options.overwrite)
        return ConversionReport(destination: target, plan: plan, files: files)
    }
}
