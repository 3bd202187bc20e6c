import Foundation
import Tensors
import Transformer
import WeightIO

/// A LLaVA model's configuration, from either config style: llava-hf (nested `text_config` /
/// `vision_config`, `image_token_index`, `vision_feature_*`; `model_type` `llava`, `llava_next`
/// or `llava_onevision`, whose tower is SigLIP and whose `vision_aspect_ratio` is
/// `anyres_max_N`) or the original repository (a flat LLaMA config plus `mm_vision_tower`,
/// `mm_vision_select_*`, `mm_projector_type`, `image_aspect_ratio`; the vision config comes from
/// the separate CLIP folder).
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
    public var vision: VisionTowerConfig
    /// Token id that marks image slots in llava-hf prompts (the original layout uses a −200 marker).
    public var imageTokenIndex: Int?
    /// The tower's hidden states taken as features (`vision_feature_layer`: one, or a list whose
    /// states are concatenated along the features).
    public var featureLayers: [Int]
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
    /// LLaVA-OneVision's `vision_aspect_ratio` `anyres_max_N`: the feature grid of one image is
    /// shrunk to about N tiles' worth (nil for other models).
    public var maxTiles: Int?

    /// Whether this is a LLaVA-OneVision model (SigLIP tower, OneVision tiling and packing).
    public var isOneVision: Bool { modelType == "llava_onevision" }

    /// A config from its parts; omitted ones take llava-hf's LLaVA-1.5 values (image token 32000,
    /// the second-to-last tower layer's patch features, a GELU projector with biases, centre crop).
    public init(text: LlamaConfig, vision: VisionTowerConfig, imageTokenIndex: Int? = 32000, featureLayers: [Int] = [-2],
                selection: CLIPVisionEncoder.FeatureSelection = .patches, projectorActivation: Activation = .gelu,
                projectorBias: Bool = true, aspectMode: AspectMode = .centerCrop, gridPinpoints: [(height: Int, width: Int)] = [],
                modelType: String = "llava", visionTowerReference: String? = nil, maxTiles: Int? = nil) {
        self.text = text
        self.vision = vision
        self.imageTokenIndex = imageTokenIndex
        self.featureLayers = featureLayers
        self.selection = selection
        self.projectorActivation = projectorActivation
        self.projectorBias = projectorBias
        self.aspectMode = aspectMode
        self.gridPinpoints = gridPinpoints
        self.modelType = modelType
        self.visionTowerReference = visionTowerReference
        self.maxTiles = maxTiles
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
            let oneVision = modelType == "llava_onevision"
            let visionJSON = json["vision_config"] ?? .object([:])
            let towerType = try WeightIOError.inFile(path) { try visionJSON.string("model_type") } ?? (oneVision ? "siglip_vision_model" : "clip_vision_model")
            switch towerType {
            case "clip_vision_model": vision = .clip(try CLIPVisionConfig(json: visionJSON, source: path))
            case "siglip_vision_model": vision = .siglip(try SiglipVisionConfig(json: visionJSON, source: path))
            default: throw LLaVAError.invalidConfig(path: path, reason: "vision_config.model_type '\(towerType)' is not clip_vision_model or siglip_vision_model")
            }
            imageTokenIndex = try WeightIOError.inFile(path) { try json.int("image_token_index") }
                ?? WeightIOError.inFile(path) { try json.int("image_token_id") } ?? (oneVision ? 151646 : 32000)
            featureLayers = try Self.featureLayers(json["vision_feature_layer"], default: oneVision ? -1 : -2, path: path)
            let strategy = try WeightIOError.inFile(path) { try json.string("vision_feature_select_strategy") } ?? (oneVision ? "full" : "default")
            guard let selection = CLIPVisionEncoder.FeatureSelection(rawValue: strategy) else {
                throw LLaVAError.invalidConfig(path: path, reason: "vision_feature_select_strategy '\(strategy)' is not 'default' or 'full'")
            }
            if case .siglip = vision, selection != .full {
                throw LLaVAError.invalidConfig(path: path, reason: "vision_feature_select_strategy 'default' drops a class token SigLIP does not have (use 'full')")
            }
            self.selection = selection
            let act = try WeightIOError.inFile(path) { try json.string("projector_hidden_act") } ?? "gelu"
            guard let activation = Activation(huggingFaceName: act) else {
                throw LLaVAError.invalidConfig(path: path, reason: "projector_hidden_act '\(act)' is not supported")
            }
            projectorActivation = activation
            projectorBias = try WeightIOError.inFile(path) { try json.bool("multimodal_projector_bias") } ?? true
            aspectMode = modelType == "llava_next" || oneVision ? .anyres : .centerCrop
            gridPinpoints = try Self.pinpoints(json, path: path, widthFirst: false)
            visionTowerReference = nil
            maxTiles = oneVision ? try Self.maxTiles(json, path: path) : nil
        } else if let tower = try WeightIOError.inFile(path, { try json.string("mm_vision_tower") }) {
            text = try LlamaConfig(json: json, source: path)
            visionTowerReference = tower
            vision = .clip(try originalVision())
            imageTokenIndex = nil
            featureLayers = [try WeightIOError.inFile(path) { try json.int("mm_vision_select_layer") } ?? -2]
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
            maxTiles = nil
        } else {
            throw LLaVAError.invalidConfig(path: path, reason: "neither text_config (llava-hf) nor mm_vision_tower (original LLaVA) is present")
        }
    }

    /// `vision_feature_layer`: an integer or a non-empty list of integers (`fallback` when absent).
    private static func featureLayers(_ value: JSON?, default fallback: Int, path: String) throws -> [Int] {
        guard let value, value != .null else { return [fallback] }
        if let layer = value.intValue { return [layer] }
        guard let list = value.arrayValue, !list.isEmpty, list.allSatisfy({ $0.intValue != nil }) else {
            throw LLaVAError.invalidConfig(path: path, reason: "vision_feature_layer must be an integer or a non-empty list of integers")
        }
        return list.compactMap(\.intValue)
    }

    /// OneVision's `vision_aspect_ratio` (`anyres_max_N`, N ≥ 1; transformers' default `anyres_max_9`).
    private static func maxTiles(_ json: JSON, path: String) throws -> Int {
        let ratio = try WeightIOError.inFile(path) { try json.string("vision_aspect_ratio") } ?? "anyres_max_9"
        guard ratio.hasPrefix("anyres_max_"), let n = Int(ratio.dropFirst("anyres_max_".count)), n > 0 else {
            throw LLaVAError.invalidConfig(path: path, reason: "vision_aspect_ratio '\(ratio)' is not anyres_max_N with N ≥ 1")
        }
        return n
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
