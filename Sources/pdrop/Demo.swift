import ArgumentParser
import Foundation
import PyramidDrop
import Tensors
import Transformer
import WeightIO

/// `pdrop demo`: the full model, PyramidDrop and FastV side by side on a shipped tiny model and
/// prompt (text, a block of image embeddings, text).
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare the full model, PyramidDrop and FastV on the shipped tiny model.")

    @Option(help: "Model folder holding config.json, model.safetensors and expected.safetensors (the prompt).")
    var model = "Tests/Fixtures/models/llama"

    @Option(help: "Tokens to generate.")
    var maxNewTokens = 8

    func run() throws {
        let store = try WeightStore(path: model + "/model.safetensors")
        let config = try LlamaConfig(json: JSON.parse(contentsOf: model + "/config.json"), source: model + "/config.json")
        let language = try LlamaModel(store, config: config)
        let prompt = try SafeTensorsFile(path: model + "/expected.safetensors")
        let embeddings = try prompt.tensor("inputs_embeds").toFloat32()
        let range = try prompt.tensor("image_range").integers
        let state = TokenState(hidden: embeddings, isImage: (0..<embeddings.shape[0]).map { $0 >= range[0] && $0 < range[1] })
        let layers = config.layerCount
        let boundaries = (1...3).map { $0 * layers / 4 }
        let policies: [(String, DropSchedule, any TokenRanker)] = [
            ("full", .none, KeepAllRanker()),
            ("pdrop", try .pyramid(boundaries: boundaries, lambda: 0.5), AttentionRanker.pyramidDrop()),
            ("fastv", try .fastV(k: min(2, layers - 1), dropRatio: 0.5), AttentionRanker.fastV()),
        ]
        let flops = FLOPsModel(hiddenSize: config.hiddenSize, intermediateSize: config.intermediateSize,
                               queryWidth: config.headCount * config.headDim, keyValueWidth: config.kvHeadCount * config.headDim)
        print("model \(model): \(layers) layers, prompt of \(state.count) tokens with \(state.imageCount) image tokens")
        var fullLogits: [Float] = []
        for (name, schedule, ranker) in policies {
            let wrapper = try PyramidWrapper(layers: language.decoderLayers, schedule: schedule, ranker: ranker)
            let result = try Generator(model: language, wrapper: wrapper)
                .generate(prompt: state, options: GenerationOptions(maxNewTokens: maxNewTokens, stopTokenIDs: []))
            if fullLogits.isEmpty { fullLogits = result.prefillLogits }
            let delta = zip(result.prefillLogits, fullLogits).map { abs($0 - $1) }.max() ?? 0
            let paper = flops.totalFLOPs(tokensPerLayer: result.trace.imageTokensPerLayer)
            let whole = flops.totalFLOPs(tokensPerLayer: result.trace.tokensPerLayer)
            print("\n\(name): image tokens per layer \(result.trace.imageTokensPerLayer)")
            for stage in result.trace.stages { print("  before layer \(stage.layer) kept \(stage.kept)") }
            print("  FLOPs (image tokens) \(paper), whole prompt \(whole); max |Δ logit| vs full \(delta)")
            print("  generated \(result.tokens)")
        }
    }
}
