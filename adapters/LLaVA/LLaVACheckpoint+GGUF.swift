import Transformer
import WeightIO

extension LLaVACheckpoint {
    /// Opens a LLaVA model held as a llama.cpp GGUF pair: the text model `model` and the vision
    /// tower + projector `mmproj` (see `LLaVAConfig(gguf:mmproj:)` for the keys read). Their
    /// tensors are served under the llava-hf names, the query and key rows un-permuted
    /// (`GGUFNames.unpermutedRows`), CLIP's MLP told apart by shape when a converter swapped the
    /// names of `fc1`/`fc2` (as llama.cpp's loader does). A tensor neither file should hold, or one
    /// the model needs and a file lacks, is an error naming the file and the tensor.
    public init(gguf model: String, mmproj: String) throws {
        try self.init(gguf: GGUFPair(model: model, mmproj: mmproj))
    }

    /// The checkpoint of an opened GGUF pair (see `init(gguf:mmproj:)`).
    public init(gguf pair: GGUFPair) throws {
        let config = try LLaVAConfig(gguf: pair.model, mmproj: pair.mmproj)
        let layout = LLaVALayout.huggingFace
        func served(_ canonical: String) -> String { layout.names.stored(for: canonical)! }
        let text = try GGUFTensorSource(file: pair.model, origins: Self.textOrigins(pair.model, config: config.text).reduce(into: [:]) {
            $0[served($1.key)] = $1.value
        })
        let vision = try GGUFTensorSource(file: pair.mmproj, origins: Self.visionOrigins(pair.mmproj, config: config).reduce(into: [:]) {
            $0[served($1.key)] = $1.value
        })
        let weights = try WeightStore(path: pair.model.path, sources: [text, vision])
        folder = pair.model.path
        visionFolder = nil
        self.weights = weights
        visionWeights = weights
        visionPrefix = served("vision_tower.")
        self.layout = layout
        self.config = config
        gguf = pair
        try Self.checkLayers(text, file: pair.model, prefix: served("language_model.layers."), count: config.text.layerCount)
        try Self.checkLayers(vision, file: pair.mmproj, prefix: visionPrefix + "encoder.layers.", count: config.vision.shape.layerCount)
        try Self.requireTensors(in: pair.model, GGUFNames.requiredText(layers: config.text.layerCount))
        try Self.requireTensors(in: pair.mmproj, GGUFNames.requiredVision(layers: config.vision.shape.layerCount, newline: config.aspectMode == .anyres))
    }

    /// Fails naming the file and the first of `names` it lacks.
    private static func requireTensors(in file: GGUFFile, _ names: [String]) throws {
        if let missing = names.first(where: { file.tensor(named: $0) == nil }) {
            throw GGUFError(path: file.path, problem: "tensor \(missing) is missing")
        }
    }

    /// Canonical name → origin of every tensor of the text model; the query and key projections
    /// (and their biases) un-permuted.
    static func textOrigins(_ file: GGUFFile, config: LlamaConfig) throws -> [String: GGUFTensorSource.Origin] {
        var origins: [String: GGUFTensorSource.Origin] = [:]
        let queryRows = GGUFNames.unpermutedRows(heads: config.headCount, headDim: config.headDim)
        let keyRows = GGUFNames.unpermutedRows(heads: config.kvHeadCount, headDim: config.headDim)
        for tensor in file.tensors {
            guard let canonical = GGUFNames.text.canonical(tensor.name) else {
                throw GGUFError(path: file.path, problem: "tensor \(tensor.name) is not part of a LLaMA text model this tool reads")
            }
            let rows: [Int]? = canonical.contains(".self_attn.q_proj.") ? queryRows : canonical.contains(".self_attn.k_proj.") ? keyRows : nil
            origins[canonical] = GGUFTensorSource.Origin(stored: tensor.name, rowOrder: rows)
        }
        return origins
    }

    /// Canonical name → origin of every tensor of the mmproj file. The legacy converter names
    /// CLIP's `fc1` `ffn_down`; newer ones `ffn_up`: a layer whose `ffn_down` does not take the
    /// tower's width as input is read the newer way.
    static func visionOrigins(_ file: GGUFFile, config: LLaVAConfig) throws -> [String: GGUFTensorSource.Origin] {
        var origins: [String: GGUFTensorSource.Origin] = [:]
        let width = config.vision.hiddenSize
        for tensor in file.tensors {
            guard var canonical = GGUFNames.vision.canonical(tensor.name) else {
                throw GGUFError(path: file.path, problem: "tensor \(tensor.name) is not part of a CLIP tower or LLaVA projector this tool reads")
            }
            let layer = tensor.name.split(separator: ".").prefix(3).joined(separator: ".")
            if canonical.contains(".mlp.fc"), let down = file.tensor(named: layer + ".ffn_down.weight"), down.shape.last != width {
                canonical = canonical.contains(".mlp.fc1.") ? canonical.replacingOccurrences(of: ".mlp.fc1.", with: ".mlp.fc2.")
                    : canonical.replacingOccurrences(of: ".mlp.fc2.", with: ".mlp.fc1.")
            }
            origins[canonical] = GGUFTensorSource.Origin(stored: tensor.name, rowOrder: nil)
        }
        return origins
    }

    /// Refuses layers past `count` (the metadata's block count) under `prefix`.
    private static func checkLayers(_ source: GGUFTensorSource, file: GGUFFile, prefix: String, count: Int) throws {
        for name in source.names where name.hasPrefix(prefix) {
            let index = Int(name.dropFirst(prefix.count).prefix { $0 != "." }) ?? 0
            if index >= count, let stored = source.entry(name) {
                throw GGUFError(path: file.path, problem: "tensor \(stored.name) is past the \(count) layers the metadata declares")
            }
        }
    }
}
