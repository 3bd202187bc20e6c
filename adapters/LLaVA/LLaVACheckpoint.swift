import Foundation
import Transformer
import WeightIO

/// A LLaVA checkpoint folder, discovered: its tensors, their layout, the configuration, and for
/// the original LLaVA-1.5 layout the separate CLIP folder that holds the vision tower.
/// `LLaVAModel(checkpoint:)` builds the model from it; `clipPreprocessor()` and
/// `defaultTemplate` read the rest of what the folder says about its inputs.
public struct LLaVACheckpoint: Sendable {
    /// The model folder.
    public let folder: String
    /// The separate CLIP folder of an original LLaVA-1.5 checkpoint, if one was used.
    public let visionFolder: String?
    /// The checkpoint's tensors (adapters read extra ones, such as `image_newline`, from here).
    public let weights: WeightStore
    /// The vision tower's tensors: `weights`, or those of `visionFolder`.
    public let visionWeights: WeightStore
    /// Where the vision tower's tensors start in `visionWeights` (`vision_tower.vision_model.`, …).
    public let visionPrefix: String
    /// How the checkpoint names its tensors.
    public let layout: LLaVALayout
    /// The model's configuration (config.json, with the vision config of the CLIP folder or the tower's shapes).
    public let config: LLaVAConfig
    /// The llama.cpp files of a GGUF pair (`init(gguf:mmproj:)`), nil for checkpoint folders.
    public let gguf: GGUFPair?

    /// Opens a model folder in any supported layout. The original LLaVA-1.5 layout keeps the vision
    /// tower in a separate CLIP folder: `visionTower`, or else `mm_vision_tower` when that names an
    /// existing local folder (absolute, or relative to `folder`). Without a CLIP config there, the
    /// vision config is read off the tower's tensor shapes.
    public init(folder: String, visionTower: String? = nil) throws {
        self.folder = folder
        gguf = nil
        weights = try WeightStore(path: folder)
        layout = try LLaVALayout.detect(weights)
        var visionWeights = weights
        var prefix = layout.visionPrefix(in: weights, separateFolder: false)
        if prefix == nil, layout == .original {
            guard let tower = try visionTower ?? Self.localVisionTower(folder: folder) else {
                let name = try JSON.parse(contentsOf: folder + "/config.json")["mm_vision_tower"]?.stringValue ?? "?"
                throw LLaVAError.missingFile(path: folder, what: "the CLIP vision tower '\(name)' (pass --vision-tower DIR)")
            }
            visionFolder = tower
            visionWeights = try WeightStore(path: tower)
            prefix = layout.visionPrefix(in: visionWeights, separateFolder: true)
        } else {
            visionFolder = nil
        }
        guard let prefix else {
            throw LLaVAError.unknownLayout(path: visionFolder ?? folder, hint: "no CLIP vision tower tensors (…embeddings.patch_embedding.weight)")
        }
        self.visionWeights = visionWeights
        visionPrefix = prefix
        config = try LLaVAConfig(folder: folder) { [visionFolder] in
            let source = "vision tower of \(folder)"
            if let visionFolder, FileManager.default.fileExists(atPath: visionFolder + "/config.json") {
                let clip = try JSON.parse(contentsOf: visionFolder + "/config.json")
                return try CLIPVisionConfig(json: clip["vision_config"] ?? clip, source: source)
            }
            let inferred = try Self.inferVisionConfig(visionWeights, prefix: prefix)
            try inferred.validate(source: source)
            return inferred
        }
    }

    /// The file that holds the configuration, for messages: `config.json`, or a GGUF pair's mmproj file.
    public var configPath: String { gguf?.mmproj.path ?? folder + "/config.json" }

    /// Whether images are prepared as the original LLaVA repository does (its layout, and GGUF
    /// pairs, which llama.cpp's converters make from it): alpha dropped, LLaVA-NeXT's unpadding
    /// truncated; llava-hf layouts follow transformers' processors.
    public var followsOriginalRepository: Bool { layout == .original || gguf != nil }

    /// A CLIP vision config read off the tower's tensor shapes under `prefix` (original LLaVA-NeXT
    /// checkpoints carry the tower but not its config): hidden size, patch size, image size, layer
    /// count and FFN size from the shapes; heads at OpenAI CLIP's head size of 64; the rest CLIP's
    /// defaults (QuickGELU, layer-norm ε 1e-5). Not validated.
    public static func inferVisionConfig(_ store: WeightStore, prefix: String) throws -> CLIPVisionConfig {
        func shape(_ name: String) throws -> [Int] {
            guard let entry = store.entry(prefix + name) else { throw WeightIOError.missingTensor(name: prefix + name, source: store.path) }
            return entry.shape
        }
        let patch = try shape("embeddings.patch_embedding.weight")          // [D, 3, P, P]
        let positions = try shape("embeddings.position_embedding.weight")[0]  // patches + 1
        let side = Int(Double(positions - 1).squareRoot().rounded())
        let layers = (0...).first { !store.contains(prefix + "encoder.layers.\($0).layer_norm1.weight") }!
        return CLIPVisionConfig(hiddenSize: patch[0], intermediateSize: try shape("encoder.layers.0.mlp.fc1.weight")[0],
                                layerCount: layers, headCount: max(1, patch[0] / 64), imageSize: side * patch[3], patchSize: patch[3])
    }

    /// `mm_vision_tower` from `folder`'s config.json, if it names a local folder (absolute, or
    /// relative to `folder`) holding a config.json.
    public static func localVisionTower(folder: String) throws -> String? {
        guard let tower = try JSON.parse(contentsOf: folder + "/config.json")["mm_vision_tower"]?.stringValue else { return nil }
        let candidates = tower.hasPrefix("/") ? [tower] : [folder + "/" + tower, tower]
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/config.json") }
    }
}
