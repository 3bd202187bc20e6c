import Foundation
import LLaVA
import Tensors
import Tokenizer
import Transformer
import WeightIO

/// Writes a LLaVA-1.5 or LLaVA-NeXT checkpoint (any layout `LLaVACheckpoint` reads) as the GGUF
/// pair llama.cpp's converters make: the text model as `convert_hf_to_gguf.py` writes a LLaMA
/// (names of `GGUFNames`, the query and key rows permuted into its rotary layout, 1-D tensors and
/// norms F32, matrices in the chosen type, a row length Q8_0/Q4_0 cannot block falling back to
/// F16 as gguf-py does) with the vocabulary as gguf-py's `LlamaHfVocab` gives it for a
/// tokenizer.json, and the vision side as the LLaVA image-encoder converter writes an mmproj
/// (the layers past the feature layer left out, matrices F16, the rest F32). Each file is written
/// atomically, one tensor in memory at a time.
public enum GGUFExport {
    /// Matrix types of the text model.
    public static let textTypes: [String: GGUFTensorType] = ["f16": .f16, "bf16": .bf16, "q8_0": .q8_0, "q4_0": .q4_0]

    /// What was written.
    public struct Report: Sendable {
        public let files: [String]
        public let tensorCount: Int
        public let byteCount: Int
    }

    /// Writes the text model of `checkpoint` to `text` with matrices in `type`, and its vision
    /// tower and projector to `mmproj` when given.
    public static func write(_ checkpoint: LLaVACheckpoint, tokenizer: Tokenizer, text: String, mmproj: String?,
                             type: GGUFTensorType) throws -> Report {
        let config = checkpoint.config
        guard config.text.family == .llama || config.text.isMistral, !config.isOneVision else {
            throw ConversionError.unsupportedConfig(path: checkpoint.configPath, field: "model_type", reason: "GGUF export writes LLaMA-family text models (llama, mistral), not \(config.text.modelType)")
        }
        let textTensors = try Self.textTensors(checkpoint, type: type)
        try GGUFWriter.write(metadata: try Self.textMetadata(checkpoint, tokenizer: tokenizer, type: type), tensors: textTensors, to: text)
        var files = [text], tensors = textTensors
        if let mmproj {
            let visionTensors = try Self.visionTensors(checkpoint)
            try GGUFWriter.write(metadata: try Self.visionMetadata(checkpoint), tensors: visionTensors, to: mmproj)
            files.append(mmproj)
            tensors += visionTensors
        }
        return Report(files: files, tensorCount: tensors.count,
                      byteCount: tensors.reduce(0) { $0 + $1.type.byteCount(dimensions: $1.dimensions) })
    }

    /// The canonical names of `checkpoint`'s stored tensors, in stored-name order.
    private static func canonicalNames(_ checkpoint: LLaVACheckpoint) -> [(stored: String, canonical: String)] {
        checkpoint.weights.names.compactMap { name in checkpoint.layout.names.canonical(for: name).map { (name, $0) } }
    }

    /// A GGUF tensor of `values` (row-major `shape`) stored as `type`.
    private static func tensor(_ name: String, shape: [Int], type: GGUFTensorType, values: @escaping () throws -> Tensor) -> GGUFWriter.Tensor {
        GGUFWriter.Tensor(name: name, type: type, dimensions: shape.reversed()) {
            let floats = try values().toFloat32(), dtype = type.loadedDType!
            let stored = dtype.isBlockQuantized ? floats.reshaped([floats.count / shape.last!, shape.last!]).quantized(to: dtype)
                : floats.converted(to: dtype)
            return Array(stored.rawBytes)
        }
    }

    /// The type of one tensor under converter rules: 1-D and `*_norm.weight` F32, matrices
    /// `matrices` unless a block format cannot hold their rows (then F16).
    private static func storedType(_ name: String, shape: [Int], matrices: GGUFTensorType) -> GGUFTensorType {
        if shape.count <= 1 || name.hasSuffix("_norm.weight") { return .f32 }
        if matrices.blockElements > 1, shape.last! % matrices.blockElements != 0 { return .f16 }
        return matrices
    }

    static func textTensors(_ checkpoint: LLaVACheckpoint, type: GGUFTensorType) throws -> [GGUFWriter.Tensor] {
        let text = checkpoint.config.text, weights = checkpoint.weights
        let queryRows = GGUFNames.permutedRows(heads: text.headCount, headDim: text.headDim)
        let keyRows = GGUFNames.permutedRows(heads: text.kvHeadCount, headDim: text.headDim)
        return canonicalNames(checkpoint).compactMap { stored, canonical in
            guard canonical.hasPrefix("language_model.") || canonical == "lm_head.weight", let name = GGUFNames.text.gguf(canonical),
                  let info = weights.info(stored) else { return nil }
            let rows = canonical.contains(".self_attn.q_proj.") ? queryRows : canonical.contains(".self_attn.k_proj.") ? keyRows : nil
            return tensor(name, shape: info.shape, type: storedType(name, shape: info.shape, matrices: type)) {
                let tensor = try weights.tensor(stored).toFloat32()
                guard let rows else { return tensor }
                return tensor.reshaped([tensor.shape[0], tensor.count / tensor.shape[0]]).gatherRows(rows).reshaped(tensor.shape)
            }
        }
    }

    /// Tower layers the mmproj keeps: those up to LLaVA's (single) feature layer.
    static func keptLayers(_ config: LLaVAConfig) throws -> Int {
        let layers = config.vision.shape.layerCount
        guard config.featureLayers.count == 1, case .clip = config.vision else {
            throw ConversionError.unsupportedConfig(path: "mmproj", field: "vision_feature_layer", reason: "GGUF export writes a CLIP tower with one feature layer")
        }
        let layer = config.featureLayers[0]
        return layer < 0 ? layers + 1 + layer : layer
    }

    static func visionTensors(_ checkpoint: LLaVACheckpoint) throws -> [GGUFWriter.Tensor] {
        let kept = try keptLayers(checkpoint.config)
        let layerPrefix = "vision_tower.encoder.layers."
        func keeps(_ canonical: String) -> Bool {
            if canonical.hasPrefix("vision_tower.post_layernorm.") { return false }
            guard canonical.hasPrefix(layerPrefix) else { return true }
            return Int(canonical.dropFirst(layerPrefix.count).prefix { $0 != "." }).map { $0 < kept } ?? false
        }
        // The projector first, as the converter writes llava_surgery's projector file first; the
        // tower from wherever the checkpoint keeps it (a separate CLIP folder included).
        let projector = canonicalNames(checkpoint).filter { $0.canonical.hasPrefix("multi_modal_projector.") || $0.canonical == "image_newline" }
            .map { (store: checkpoint.weights, stored: $0.stored, canonical: $0.canonical) }
        let tower = checkpoint.visionWeights.names.filter { $0.hasPrefix(checkpoint.visionPrefix) }
            .map { (store: checkpoint.visionWeights, stored: $0, canonical: "vision_tower." + $0.dropFirst(checkpoint.visionPrefix.count)) }
        return (projector + tower).compactMap { store, stored, canonical in
            guard keeps(canonical), let name = GGUFNames.vision.gguf(canonical), let info = store.info(stored) else { return nil }
            let squeezed = info.shape.filter { $0 != 1 }, shape = squeezed.isEmpty ? [1] : squeezed
            let type: GGUFTensorType = shape.count == 4 || (name.hasSuffix(".weight") && shape.count == 2) ? .f16 : .f32
            return tensor(name, shape: shape, type: type) { try store.tensor(stored) }
        }
    }
}
