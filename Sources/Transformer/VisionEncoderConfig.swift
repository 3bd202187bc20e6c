import Tensors
import WeightIO

/// The hyper-parameters of a ViT-style vision tower (CLIP, SigLIP) under transformers' names:
/// what `VisionEncoderLayer` runs with, and the fields every tower config reads the same way.
public protocol VisionEncoderConfig: Sendable {
    var hiddenSize: Int { get }
    var intermediateSize: Int { get }
    var layerCount: Int { get }
    var headCount: Int { get }
    var imageSize: Int { get }
    var patchSize: Int { get }
    var channels: Int { get }
    var layerNormEps: Float { get }
    var hiddenAct: Activation { get }

    /// A config from its values.
    init(hiddenSize: Int, intermediateSize: Int, layerCount: Int, headCount: Int, imageSize: Int, patchSize: Int, channels: Int,
         layerNormEps: Float, hiddenAct: Activation)

    /// Checks the values; `source` names the config in the error.
    func validate(source: String) throws
}

extension VisionEncoderConfig {
    /// Patches per side: the patch convolution (stride = kernel, no padding) leaves a remainder
    /// of `imageSize` that is not a whole patch unseen.
    public var gridSize: Int { imageSize / patchSize }
    /// Patches per image (without a class token).
    public var patchCount: Int { gridSize * gridSize }

    /// Reads `hidden_size`, `intermediate_size`, `num_hidden_layers`, `num_attention_heads`,
    /// `image_size`, `patch_size`, `num_channels`, `layer_norm_eps` and `hidden_act` from a
    /// config object, taking `defaults`' values for missing ones, and validates the result;
    /// `source` names the file for errors.
    init(reading json: JSON, source: String, defaults: Self) throws {
        func int(_ field: String) throws -> Int? { try WeightIOError.inFile(source) { try json.int(field) } }
        let hiddenSize = try int("hidden_size") ?? defaults.hiddenSize
        let intermediateSize = try int("intermediate_size") ?? defaults.intermediateSize
        let layerCount = try int("num_hidden_layers") ?? defaults.layerCount
        let headCount = try int("num_attention_heads") ?? defaults.headCount
        let imageSize = try int("image_size") ?? defaults.imageSize
        let patchSize = try int("patch_size") ?? defaults.patchSize
        let channels = try int("num_channels") ?? defaults.channels
        let layerNormEps = try WeightIOError.inFile(source) { try json.double("layer_norm_eps") }.map(Float.init) ?? defaults.layerNormEps
        var activation = defaults.hiddenAct
        if let act = try WeightIOError.inFile(source, { try json.string("hidden_act") }) {
            guard let parsed = Activation(huggingFaceName: act) else {
                throw TransformerError.invalidConfig(source: source, field: "hidden_act", reason: "unsupported activation '\(act)'")
            }
            activation = parsed
        }
        self.init(hiddenSize: hiddenSize, intermediateSize: intermediateSize, layerCount: layerCount, headCount: headCount,
                  imageSize: imageSize, patchSize: patchSize, channels: channels, layerNormEps: layerNormEps, hiddenAct: activation)
        try validate(source: source)
    }

    /// Throws unless the heads divide the hidden size.
    func validateHeads(source: String) throws {
        guard headCount > 0, hiddenSize % headCount == 0 else {
            throw TransformerError.invalidConfig(source: source, field: "num_attention_heads", reason: "\(headCount) must divide hidden_size \(hiddenSize)")
        }
    }

    /// The hidden-state indices of `featureLayers` (transformers' `vision_feature_layer`, an int or
    /// a list): the hidden states are the embeddings (0) and each layer's output (i), negative
    /// values counting from the end (−1 is the last layer's output). The tower runs as many
    /// layers as the largest index. Throws for an empty list or an index outside the
    /// `layerCount + 1` states; `source` names the tower.
    func hiddenStates(_ featureLayers: [Int], source: String) throws -> [Int] {
        guard !featureLayers.isEmpty else {
            throw TransformerError.invalidConfig(source: source, field: "vision_feature_layer", reason: "an empty list selects no hidden state")
        }
        return try featureLayers.map { layer in
            let index = layer < 0 ? layerCount + 1 + layer : layer
            guard index >= 0 && index <= layerCount else {
                throw TransformerError.invalidConfig(source: source, field: "vision_feature_layer",
                                                     reason: "\(layer) is outside the \(layerCount + 1) hidden states")
            }
            return index
        }
    }
}
