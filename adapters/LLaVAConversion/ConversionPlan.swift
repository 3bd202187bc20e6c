import LLaVA
import Tensors

/// What a conversion asks for.
public struct ConversionOptions: Sendable {
    /// The layout to write: `.huggingFace` (llava-hf Hub names, nested config; the default),
    /// `.huggingFaceNew` (the newer transformers prefixes) or `.original`.
    public var layout: LLaVALayout
    /// The stored dtype of float tensors (`nil` keeps each tensor's own); integer tensors are
    /// never converted. Conversion rounds to nearest even.
    public var dtype: DType?
    /// The largest shard (tensor bytes); a tensor larger than this gets a shard of its own.
    public var maxShardSize: ShardSize
    /// The separate CLIP folder of an original LLaVA-1.5 checkpoint (else `mm_vision_tower` when it
    /// names a local folder, as `LLaVACheckpoint.localVisionTower(folder:)` resolves it).
    public var visionTower: String?
    /// Replace an existing destination (only once the new folder is complete).
    public var overwrite: Bool

    public init(layout: LLaVALayout = .huggingFace, dtype: DType? = nil, maxShardSize: ShardSize = .default,
                visionTower: String? = nil, overwrite: Bool = false) {
        self.layout = layout
        self.dtype = dtype
        self.maxShardSize = maxShardSize
        self.visionTower = visionTower
        self.overwrite = overwrite
    }
}

/// Everything a conversion will write, decided before anything is written: tensors (each read
/// only when written), config and tokenizer files, per output folder.
public struct ConversionPlan: Sendable {
    /// One folder of the output: the model folder itself (`relativePath` empty), or the separate
    /// CLIP folder (`vision_tower`) an original LLaVA-1.5 checkpoint names in `mm_vision_tower`.
    public struct Folder: Sendable {
        public var relativePath: String
        /// The tensors, in the order they are written.
        public var tensors: [TensorRecipe]
        /// Other files by name (config.json, tokenizer and preprocessor files) and their contents.
        public var files: [String: [UInt8]]
    }

    /// The name of the separate CLIP folder written for the original LLaVA-1.5 layout.
    public static let visionTowerFolder = "vision_tower"

    public var sourceLayout: LLaVALayout
    public var targetLayout: LLaVALayout
    /// Whether the checkpoint is LLaVA-NeXT (anyres).
    public var isNeXT: Bool
    public var folders: [Folder]
    /// Source tensors not converted because they are buffers (`*.rotary_emb.inv_freq`, `*.position_ids`).
    public var droppedTensors: [String]
    /// Tensors of the CLIP folder that are not the vision model (a full CLIP's text tower).
    public var skippedTensors: [String]
    /// Files of the source folder that are neither weights, config.json nor carried files.
    public var ignoredFiles: [String]
    /// What else was decided (vocabulary padded or sliced, tower placement), one line each.
    public var notes: [String]

    /// Number of tensors written.
    public var tensorCount: Int { folders.reduce(0) { $0 + $1.tensors.count } }
    /// Tensor bytes written.
    public var byteCount: Int { folders.reduce(0) { $0 + $1.tensors.reduce(0) { $0 + $1.byteCount } } }
}

/// Where a running conversion is; passed to the progress callback before each tensor and after
/// each shard.
public struct ConversionProgress: Sendable {
    public var tensorsDone: Int
    public var tensorsTotal: Int
    public var bytesDone: Int
    public var bytesTotal: Int
    /// The tensor about to be written, if any.
    public var current: String?
}

/// What a finished conversion wrote.
public struct ConversionReport: Sendable {
    /// The destination folder (absolute).
    public var destination: String
    public var plan: ConversionPlan
    /// Files written, relative to the destination.
    public var files: [String]
}
