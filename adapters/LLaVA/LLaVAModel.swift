import PyramidDrop
import Tensors
import Transformer

/// A LLaVA model assembled from a `LLaVACheckpoint`: CLIP vision tower, projector and LLaMA-family
/// language model. It exposes the language model's decoder layers to `PyramidWrapper` and builds
/// the prompt `TokenState` with image features scattered into the image slots.
public struct LLaVAModel: Sendable {
    /// Marker for an image slot in token ids before expansion (the original repository's −200).
    public static let imageMarker = -200

    /// The checkpoint the model was built from (folder, layout, weights, config).
    public let checkpoint: LLaVACheckpoint
    public let vision: CLIPVisionEncoder
    public let projector: MLPProjector
    public let language: LlamaModel

    /// The checkpoint's configuration.
    public var config: LLaVAConfig { checkpoint.config }

    /// Builds the vision tower, projector and language model of `checkpoint`.
    public init(checkpoint: LLaVACheckpoint) throws {
        self.checkpoint = checkpoint
        let config = checkpoint.config, layout = checkpoint.layout
        vision = try CLIPVisionEncoder(checkpoint.visionWeights, prefix: checkpoint.visionPrefix, config: config.vision,
                                       featureLayer: config.featureLayer, selection: config.selection)
        projector = try MLPProjector(checkpoint.weights, first: layout.projector.first, second: layout.projector.second,
                                     visionHidden: config.vision.hiddenSize, textHidden: config.text.hiddenSize,
                                     bias: config.projectorBias, activation: config.projectorActivation)
        language = try LlamaModel(checkpoint.weights, config: config.text, names: layout.languageModel)
    }

    /// Loads a model folder in any supported layout (see `LLaVACheckpoint.init(folder:visionTower:)`).
    public init(folder: String, visionTower: String? = nil) throws {
        try self.init(checkpoint: LLaVACheckpoint(folder: folder, visionTower: visionTower))
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
