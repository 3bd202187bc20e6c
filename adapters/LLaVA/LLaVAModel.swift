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
    public let layout: LLaVALayout
    public let config: LLaVAConfig
    public let vision: CLIPVisionEncoder
    public let projector: MLPProjector
    public let language: LlamaModel

    /// Loads a model folder in any supported layout. For the original LLaVA-1.5 layout the vision
    /// tower is a separate CLIP folder: `visionTower`, or else `mm_vision_tower` when that names
    /// an existing local folder (absolute, or relative to `folder`).
    public init(folder: String, visionTower: String? = nil) throws {
        self.folder = folder
        let store = try WeightStore(path: folder)
        layout = try LLaVALayout.detect(store)
        var visionStore = store
        var visionFolder: String?
        if layout == .original, layout.visionPrefix(in: store, separateFolder: false) == nil {
            visionFolder = try visionTower ?? Self.localVisionTower(folder: folder)
            if let visionFolder { visionStore = try WeightStore(path: visionFolder) }
        }
        config = try LLaVAConfig(folder: folder, visionFolder: visionFolder ?? (layout == .original ? nil : folder))
        guard let prefix = layout.visionPrefix(in: visionStore, separateFolder: visionFolder != nil) else {
            throw LLaVAError.unknownLayout(path: visionFolder ?? folder, hint: "no CLIP vision tower tensors (…embeddings.patch_embedding.weight)")
        }
        vision = try CLIPVisionEncoder(visionStore, prefix: prefix, config: config.vision,
                                       featureLayer: config.featureLayer, selection: config.selection)
        projector = try MLPProjector(store, first: layout.projector.first, second: layout.projector.second,
                                     visionHidden: config.vision.hiddenSize, textHidden: config.text.hiddenSize,
                                     bias: config.projectorBias, activation: config.projectorActivation)
        language = try LlamaModel(store, config: config.text, names: layout.languageModel)
    }

    /// `mm_vision_tower` from config.json, if it names a local folder.
    private static func localVisionTower(folder: String) throws -> String? {
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
