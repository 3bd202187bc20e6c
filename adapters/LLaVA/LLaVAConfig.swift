import Foundation
import Tensors
import Transformer
import WeightIO

/// A LLaVA model's configuration, from either config style: llava-hf (nested `text_config` /
/// `vision_config`, `image_token_index`, `vision_feature_*`) or the original repository (a flat
/// LLaMA config plus `mm_vision_tower`, `mm_vision_select_*`, `mm_projector_type`,
/// `image_aspect_ratio`; the vision config comes from the separate CLIP folder).
public struct LLaVAConfig: Sendable {
    /// How an image is brought to the tower's square input.
    public enum AspectMode: String, Sendable {
        /// Resize the shortest edge to the tower size, then centre-crop (llava-hf, CLIPImageProcessor).
        case centerCrop
        /// Pad to a square with the mean colour first, then the same (original `image_aspect_ratio "pad"`).
        case padToSquare
        /// LLaVA-NeXT tiling (`anyres`).
        case anyres
    }

    public var text: LlamaConfig
    public var vision: CLIPVisionConfig
    /// Token id that marks image slots in llava-hf prompts (the original layout uses a −200 marker).
    public var imageTokenIndex: Int?
    public var featureLayer: Int
    public var selection: CLIPVisionEncoder.FeatureSelection
    public var projectorActivation: Activation
    public var projectorBias: Bool
    public var aspectMode: AspectMode
    /// LLaVA-NeXT grid pinpoints as (height, width).
    public var gridPinpoints: [(height: Int, width: Int)]
    /// `model_type` (`llava`, `llava_next`).
    public var modelType: String
    /// For the original layout: the `mm_vision_tower` entry (a Hub id or a path).
    public var visionTowerReference: String?

    /// A config from its parts; omitted ones take llava-hf's LLaVA-1.5 values (image token 32000,
    /// the second-to-last tower layer's patch features, a GELU projector with biases, centre crop).
    public init(text: LlamaConfig, vision: CLIPVisionConfig, imageTokenIndex: Int? = 32000, featureLayer: Int = -2,
                selection: CLIPVisionEncoder.FeatureSelection = .patches, projectorActivation: Activation = .gelu,
                projectorBias: Bool = true, aspectMode: AspectMode = .centerCrop, gridPinpoints: [(height: Int, width: Int)] = [],
                modelType: String = "llava", visionTowerReference: String? = nil) {
        self.text = text
        self.vision = vision
        self.imageTokenIndex = imageTokenIndex
        self.featureLayer = featureLayer
        self.selection = selection
        self.projectorActivation = projectorActivation
        self.projectorBias = projectorBias
        self.aspectMode = aspectMode
        self.gridPinpoints = gridPinpoints
        self.modelType = modelType
        self.visionTowerReference = visionTowerReference
    }

    /// Reads `config.json` of `folder`. The original layout's config has no vision config:
    /// `originalVision` supplies it (from the separate CLIP folder, or inferred from the weights).
    public init(folder: String, originalVision: () throws -> CLIPVisionConfig) throws {
        let path = folder + "/config.json"
        guard FileManager.default.fileExists(atPath: path) else { throw LLaVAError.missingFile(path: folder, what: "config.json") }
        let json = try JSON.parse(contentsOf: path)
        modelType = try WeightIOError.inFile(path) { try json.string("model_type") } ?? "llava"
        if let textJSON = json["text_config"] {
            text = try LlamaConfig(json: textJSON, source: path)
            vision = try CLIPVisionConfig(json: json["vision_config"] ?? .object([:]), source: path)
            imageTokenIndex = try WeightIOError.inFile(path) { try json.int("image_token_index") } ?? WeightIOError.inFile(path) { try json.int("image_token_id") } ?? 32000
            if json["vision_feature_layer"]?.arrayValue != nil {
                throw LLaVAError.invalidConfig(path: path, reason: "a list of vision_feature_layer values is not supported")
            }
            featureLayer = try WeightIOError.inFile(path) { try json.int("vision_feature_layer") } ?? -2
            let strategy = try WeightIOError.inFile(path) { try json.string("vision_feature_select_strategy") } ?? "default"
            guard let selection = CLIPVisionEncoder.FeatureSelection(rawValue: strategy) else {
                throw LLaVAError.invalidConfig(path: path, reason: "vision_feature_select_strategy '\(strategy)' is not 'default' or 'full'")
            }
            self.selection = selection
            let act = try WeightIOError.inFile(path) { try json.string("projector_hidden_act") } ?? "gelu"
            guard let activation = Activation(huggingFaceName: act) else {
                throw LLaVAError.invalidConfig(path: path, reason: "projector_hidden_act '\(act)' is not supported")
            }
            projectorActivation = activation
            projectorBias = try WeightIOError.inFile(path) { try json.bool("multimodal_projector_bias") } ?? true
            aspectMode = modelType == "llava_next" ? .anyres : .centerCrop
            gridPinpoints = try Self.pinpoints(json, path: path, widthFirst: false)
            visionTowerReference = nil
        } else if let tower = try WeightIOError.inFile(path, { try json.string("mm_vision_tower") }) {
            text = try LlamaConfig(json: json, source: path)
            visionTowerReference = tower
            vision = try originalVision()
            imageTokenIndex = nil
            featureLayer = try WeightIOError.inFile(path) { try json.int("mm_vision_select_layer") } ?? -2
            let feature = try WeightIOError.inFile(path) { try json.string("mm_vision_select_feature") } ?? "patch"
            switch feature {
            case "patch": selection = .patches
            case "cls_patch": selection = .full
            default: throw LLaVAError.invalidConfig(path: path, reason: "mm_vision_select_feature '\(feature)' is not 'patch' or 'cls_patch'")
            }
            let projector = try WeightIOError.inFile(path) { try json.string("mm_projector_type") } ?? "linear"
            guard projector == "mlp2x_gelu" else {
                throw LLaVAError.invalidConfig(path: path, reason: "mm_projector_type '\(projector)' is not supported (only mlp2x_gelu)")
            }
            projectorActivation = .gelu
            projectorBias = true
            let aspect = try WeightIOError.inFile(path) { try json.string("image_aspect_ratio") } ?? "square"
            switch aspect {
            case "pad": aspectMode = .padToSquare
            case "anyres": aspectMode = .anyres
            default: aspectMode = .centerCrop
            }
            gridPinpoints = try Self.pinpoints(json, path: path, widthFirst: true)
        } else {
            throw LLaVAError.invalidConfig(path: path, reason: "neither text_config (llava-hf) nor mm_vision_tower (original LLaVA) is present")
        }
    }

    /// Reads `image_grid_pinpoints` (HF pairs are [height, width]; the original repo's are (width, height)).
    private static func pinpoints(_ json: JSON, path: String, widthFirst: Bool) throws -> [(height: Int, width: Int)] {
        guard let list = json["image_grid_pinpoints"]?.arrayValue else { return [] }
        return try list.map { item in
            guard let pair = item.arrayValue, pair.count == 2, let a = pair[0].intValue, let b = pair[1].intValue, a > 0, b > 0 else {
                throw LLaVAError.invalidConfig(path: path, reason: "image_grid_pinpoints entries must be pairs of positive integers")
            }
            return widthFirst ? (height: b, width: a) : (height: a, width: b)
        }
    }
}
