import Foundation
import PyramidDrop
import Tensors
import Transformer
import WeightIO

/// A LLaVA model assembled from a checkpoint folder: CLIP vision tower, projector and LLaMA-family
/// language model. It exposes the language model's decoder layers to `PyramidWrapper` and builds
/// the prompt `TokenState` with image features scattered into the image slots.
public struct LLaVAModel: Sendable {
    /// Marker for an image slot in token ids before expansion (the original repository's −200).
    public static let imageMarker = -200

    public let folder: String
    /// The separate CLIP folder of an original LLaVA-1.5 checkpoint, if one was used.
    public let visionFolder: String?
    /// The checkpoint's tensors (adapters read extra ones, such as `image_newline`, from here).
    public let weights: WeightStore
    public let layout: LLaVALayout
    public let config: LLaVAConfig
    public let vision: CLIPVisionEncoder
    public let projector: MLPProjector
    public let language: LlamaModel

    /// Loads a model folder in any supported layout. The original LLaVA-1.5 layout keeps the vision
    /// tower in a separate CLIP folder: `visionTower`, or else `mm_vision_tower` when that names an
    /// existing local folder (absolute, or relative to `folder`).
    public init(folder: String, visionTower: String? = nil) throws {
        self.folder = folder
        let store = try WeightStore(path: folder)
        layout = try LLaVALayout.detect(store)
        var visionStore = store
        var prefix = layout.visionPrefix(in: store, separateFolder: false)
        if prefix == nil, layout == .original {
            guard let tower = try visionTower ?? Self.localVisionTower(folder: folder) else {
                let name = try JSON.parse(contentsOf: folder + "/config.json")["mm_vision_tower"]?.stringValue ?? "?"
                throw LLaVAError.missingFile(path: folder, what: "the CLIP vision tower '\(name)' (pass --vision-tower DIR)")
            }
            visionFolder = tower
            visionStore = try WeightStore(path: tower)
            prefix = layout.visionPrefix(in: visionStore, separateFolder: true)
        } else {
            visionFolder = nil
        }
        guard let prefix else {
            throw LLaVAError.unknownLayout(path: visionFolder ?? folder, hint: "no CLIP vision tower tensors (…embeddings.patch_embedding.weight)")
        }
        config = try LLaVAConfig(folder: folder) { [visionFolder] in
            if let visionFolder, FileManager.default.fileExists(atPath: visionFolder + "/config.json") {
                let clip = try JSON.parse(contentsOf: visionFolder + "/config.json")
                return clip["vision_config"] ?? clip
            }
            return try Self.inferVisionConfig(visionStore, prefix: prefix)
        }
        vision = try CLIPVisionEncoder(visionStore, prefix: prefix, config: config.vision,
                                       featureLayer: config.featureLayer, selection: config.selection)
        projector = try MLPProjector(store, first: layout.projector.first, second: layout.projector.second,
                                     visionHidden: config.vision.hiddenSize, textHidden: config.text.hiddenSize,
                                     bias: config.projectorBias, activation: config.projectorActivation)
        language = try LlamaModel(store, config: config.text, names: layout.languageModel)
        weights = store
    }

    /// A CLIP vision config read off the tower's tensor shapes (original LLaVA-NeXT checkpoints
    /// carry the tower but not its config): hidden size, patch size, image size, layer count and
    /// FFN size from the shapes; heads at OpenAI CLIP's head size of 64.
    static func inferVisionConfig(_ store: WeightStore, prefix: String) throws -> JSON {
        func shape(_ name: String) throws -> [Int] {
            guard let entry = store.entry(prefix + name) else { throw WeightIOError.missingTensor(name: prefix + name, source: store.path) }
            return entry.shape
        }
        let patch = try shape("embeddings.patch_embedding.weight")          // [D, 3, P, P]
        let positions = try shape("embeddings.position_embedding.weight")[0]  // patches + 1
        let side = Int(Double(positions - 1).squareRoot().rounded())
        let layers = (0...).first { !store.contains(prefix + "encoder.layers.\($0).layer_norm1.weight") }!
        return .object(["hidden_size": .int(patch[0]), "patch_size": .int(patch[3]), "image_size": .int(side * patch[3]),
                        "num_hidden_layers": .int(layers), "num_attention_heads": .int(max(1, patch[0] / 64)),
                        "intermediate_size": .int(try shape("encoder.layers.0.mlp.fc1.weight")[0])])
    }

    /// `mm_vision_tower` from config.json, if it names a local folder.
    static func localVisionTower(folder: String) throws -> String? {
        guard let tower = try JSON.parse(contentsOf: folder + "/config.json")["mm_vision_tower"]?.stringValue else { return nil }
        let candidates = tower.hasPrefix("/") ? [tower] : [folder + "/" + tower, tower]
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/config.json") }
    }

    /// Image-token count of one square tower input (576 for LLaVA-1.5).
    public var tokensPerTile: Int { config.vision.patchCount + (config.selection == .full ? 1 : 0) }

    /// Projected features `[tokens, textHidden]` of one normalised tower input `[3, S, S]`.
    public func imageFeatures(_ pixels: Tensor) -> Tensor {
        projector(vision(pixels))
    }

    /// The prompt state: token embeddings with the image features in the image slots. Slots are
    /// either one `imageMarker` per image (expanded to its feature count) or runs of the image
    /// token id already expanded (llava-hf processors); the total must equal the feature rows.
    public func promptState(ids: [Int], images: [Tensor]) throws -> TokenState {
        let featureCount = images.reduce(0) { $0 + $1.shape[0] }
        let markers = ids.filter { $0 == Self.imageMarker }.count
        let expanded: [Int]
        if markers > 0 {
            guard markers == images.count else { throw LLaVAError.imageTokenMismatch(slots: markers, features: images.count) }
            var iterator = images.makeIterator()
            expanded = ids.flatMap { $0 == Self.imageMarker ? Array(repeating: Self.imageMarker, count: iterator.next()!.shape[0]) : [$0] }
        } else {
            expanded = ids.map { $0 == config.imageTokenIndex ? Self.imageMarker : $0 }
        }
        let isImage = expanded.map { $0 == Self.imageMarker }
        let slots = isImage.filter { $0 }.count
        guard slots == featureCount else { throw LLaVAError.imageTokenMismatch(slots: slots, features: featureCount) }
        var hidden = try language.embed(expanded.map { $0 == Self.imageMarker ? 0 : $0 })
        let d = config.text.hiddenSize
        var row = 0
        hidden.withMutableFloats { dst in
            for image in images {
                image.withFloats { src in
                    for r in 0..<image.shape[0] {
                        while !isImage[row] { row += 1 }
                        (dst.baseAddress! + row * d).update(from: src.baseAddress! + r * d, count: d)
                        row += 1
                    }
                }
            }
        }
        return TokenState(hidden: hidden, isImage: isImage)
    }
}
