import PyramidDrop
import Tensors
import Tokenizer
import Transformer

/// A LLaVA model assembled from a `LLaVACheckpoint`: vision tower (CLIP, or SigLIP for
/// LLaVA-OneVision), projector and LLaMA-family language model (LLaMA, Mistral, Qwen2). It exposes the language model's decoder layers to `PyramidWrapper` and builds
/// the prompt `TokenState` with image features scattered into the image slots.
public struct LLaVAModel: Sendable {
    /// The checkpoint the model was built from (folder, layout, weights, config).
    public let checkpoint: LLaVACheckpoint
    public let vision: any VisionTower
    public let projector: MLPProjector
    public let language: LlamaModel

    /// The checkpoint's configuration.
    public var config: LLaVAConfig { checkpoint.config }

    /// Builds the vision tower, projector and language model of `checkpoint`, each on the path
    /// `compute` gives its stored weights (`auto`: bf16 where they are BF16 and the CPU has
    /// native bf16 matmul).
    public init(checkpoint: LLaVACheckpoint, compute: ComputeMode = .auto) throws {
        self.checkpoint = checkpoint
        let config = checkpoint.config, layout = checkpoint.layout
        switch config.vision {
        case .clip(let tower):
            vision = try CLIPVisionEncoder(checkpoint.visionWeights, prefix: checkpoint.visionPrefix, config: tower,
                                           featureLayers: config.featureLayers, selection: config.selection, compute: compute)
        case .siglip(let tower):
            vision = try SiglipVisionEncoder(checkpoint.visionWeights, prefix: checkpoint.visionPrefix, config: tower,
                                             featureLayers: config.featureLayers, compute: compute)
        }
        projector = try MLPProjector(checkpoint.weights, first: layout.projector.first, second: layout.projector.second,
                                     visionHidden: vision.featureWidth, textHidden: config.text.hiddenSize,
                                     bias: config.projectorBias, activation: config.projectorActivation, compute: compute)
        language = try LlamaModel(checkpoint.weights, config: config.text, names: layout.languageModel, compute: compute)
    }

    /// Loads a model folder in any supported layout (see `LLaVACheckpoint.init(folder:visionTower:)`).
    public init(folder: String, visionTower: String? = nil, compute: ComputeMode = .auto) throws {
        try self.init(checkpoint: LLaVACheckpoint(folder: folder, visionTower: visionTower), compute: compute)
    }

    /// The paths the language model and the vision tower (with the projector) compute on.
    public var computePaths: (language: ComputePath, vision: ComputePath) {
        (language.layers.first?.compute ?? .f32, vision.compute)
    }

    /// The tower's name in messages.
    public var towerName: String {
        if case .siglip = config.vision { return "SigLIP" }
        return "CLIP"
    }

    /// Image-token count of one square tower input (576 for LLaVA-1.5, 729 for OneVision's SigLIP).
    public var tokensPerTile: Int { config.vision.patchCount + (config.selection == .full ? vision.classTokens : 0) }

    /// The tower's rows that become image tokens: all of them with `full` selection, else the
    /// patches after the class token.
    private func selectedRows(_ hidden: Tensor) -> Tensor {
        config.selection == .full || vision.classTokens == 0 ? hidden
            : hidden.gatherRows(Array(vision.classTokens..<(vision.classTokens + config.vision.patchCount)))
    }

    /// Projected features `[tokens, textHidden]` of one normalised tower input `[3, S, S]`.
    public func imageFeatures(_ pixels: Tensor) -> Tensor {
        projector(selectedRows(vision.observe(pixels, needs: []).hidden))
    }

    /// Projected features of one tower input and, when `needs` asks for anything, what the tower's
    /// feature layer computed for a pre-decoder policy; patch `p` stands for image token
    /// `patchSources[p]` (the class token, with `full` selection, for token 0). Throws when a
    /// policy needs what the tower cannot give: SigLIP has no class token, so no class attention
    /// and no per-crop evidence of the kind `TowerCrop` carries.
    public func observedFeatures(_ pixels: Tensor, needs: VisionNeeds, patchSources: [Int?]) throws -> (features: Tensor, crop: TowerCrop?) {
        guard !needs.isEmpty else { return (imageFeatures(pixels), nil) }
        guard vision.classTokens == 1 else {
            throw LLaVAError.towerLacks(tower: towerName, what: "class token, whose attention this policy ranks by (divprune, pdrop, fastv and dart need none)")
        }
        let (hidden, classAttention, keys) = vision.observe(pixels, needs: needs)
        let crop = TowerCrop(hidden: hidden, classAttention: classAttention, keys: keys, heads: config.vision.headCount,
                             patchSources: patchSources, classSource: config.selection == .full ? 0 : nil)
        return (projector(selectedRows(hidden)), crop)
    }

    /// The projector as a sendable function of tower rows `[n, visionHidden]`.
    public var projection: @Sendable (Tensor) -> Tensor {
        let projector = projector
        return { projector($0) }
    }

    /// The prompt state: token embeddings with image `i`'s selected features in slot `i`. Each
    /// image token's origin is its index among all the images' original tokens (merged tokens
    /// have none), so traces and maps refer to the image as the tower saw it.
    public func promptState(_ prompt: Prompt, images: [ImageSelection]) throws -> TokenState {
        guard prompt.imageCount == images.count else { throw LLaVAError.imageSlotCount(slots: prompt.imageCount, images: images.count) }
        let d = config.text.hiddenSize
        let firstImageIndex = images.reduce(into: [0]) { $0.append($0.last! + $1.originalCount) }
        var rows: [Tensor] = [], origins: [TokenOrigin] = [], pending: [Int] = [], merged: [Int] = []
        func flushText() throws {
            guard !pending.isEmpty else { return }
            rows.append(try language.embed(pending))
            pending.removeAll()
        }
        for piece in prompt.pieces {
            switch piece {
            case .text(let id):
                pending.append(id)
                origins.append(TokenOrigin(promptIndex: origins.count, imageIndex: nil))
            case .image(let slot):
                try flushText()
                let image = images[slot]
                guard image.features.rank == 2, image.features.shape[1] == d else {
                    throw LLaVAError.featureWidth(expected: d, found: image.features.shape.last ?? 0)
                }
                rows.append(image.features)
                merged += image.merged.map { firstImageIndex[slot] + $0 }
                for source in image.sources {
                    origins.append(source.map { TokenOrigin(promptIndex: origins.count, imageIndex: firstImageIndex[slot] + $0, image: slot) }
                                   ?? .mergedImage(promptIndex: origins.count, image: slot))
                }
            }
        }
        try flushText()
        var state = TokenState(hidden: Tensor(concatenatingRows: rows, width: d), positions: Array(origins.indices), origins: origins,
                               originalImageCount: firstImageIndex.last!)
        state.mergedImageTokens = merged.sorted()
        return state
    }

    /// The prompt state with every token of each image (`[tokens, textHidden]` features).
    public func promptState(_ prompt: Prompt, images: [Tensor]) throws -> TokenState {
        try promptState(prompt, images: images.map { ImageSelection.all(ImageTokens(features: $0)) })
    }
}
