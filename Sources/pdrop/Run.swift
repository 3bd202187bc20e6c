import ArgumentParser
import Foundation
import Imaging
import LLaVA
import PyramidDrop
import Tensors
import Transformer
import WeightIO

/// `pdrop run`: answer a question about one or more images with a LLaVA model, dropping image
/// tokens with PyramidDrop (default), another policy, or not at all.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a LLaVA model on images and a prompt, with PyramidDrop.")

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Image file (JPEG, PNG, BMP or GIF); repeat for several images in one prompt; without it the prompt is text only.")
    var image: [String] = []

    @Option(help: "The question (with images, the template adds one <image> per image unless the text already holds them).")
    var prompt: String

    @Option(help: "Chat template: auto, llava-hf, llava_v1, vicuna_v1, mistral_instruct, qwen2 or raw.")
    var template = "auto"

    @Option(help: "Upper bound on generated tokens.")
    var maxNewTokens = 128

    @Option(help: "Sampling temperature (0: greedy).")
    var temperature: Float = 0

    @Option(help: "Nucleus sampling mass.")
    var topP: Float = 1

    @Option(help: "Sampling seed.")
    var seed: UInt64 = 0

    @Option(name: [.customLong("policy"), .customLong("drop")], help: ArgumentHelp(
        "Token policy (--drop is an alias): pdrop, fastv, none, random, fastervlm, visionzip, divprune, dart, or a pre-decoder policy + an in-decoder one (e.g. visionzip+pdrop).",
        discussion: PolicyOptions.discussion))
    var policy = "pdrop"

    @Option(help: "Budget N of fastervlm, visionzip, divprune and dart (default 64; see --policy); with a composition, the first policy's.")
    var budget: Int?

    @Flag(help: "With several images, rank each image's tokens on its own inside the decoder (each keeps its share: PyramidDrop λ per stage, FastV's ratio, DART's budget) instead of one pool over all image tokens. Pre-decoder budgets are per image either way.")
    var perImageBudget = false

    @Option(help: "PyramidDrop stage boundaries, e.g. 8,16,24 (default: the quarter points of the model's depth).")
    var layers: String?

    @Option(help: "PyramidDrop λ: the fraction kept at each stage.")
    var ratio = 0.5

    @Option(help: "FastV: the layer before which tokens are dropped.")
    var fastvK = 2

    @Option(help: "FastV: the fraction of image tokens dropped.")
    var fastvRatio = 0.5

    @Option(help: "KV cache storage: f32 (exact) or bf16 (half the KV memory).")
    var kvCache = KVCacheFormat.f32

    @Option(help: "Write prefill_logits [vocab] F32 and generated_ids [n] I64 to this safetensors file.")
    var logitsOut: String?

    @Option(help: "Write the drop trace (kept image tokens per stage, tokens per layer, FLOPs, timings) as JSON.")
    var traceOut: String?

    @Option(help: "Write a PNG of the image patches kept at each stage (one column per stage).")
    var mapOut: String?

    @OptionGroup var computeOptions: ComputeOptions

    @Flag(help: "Print one JSON object instead of streaming the answer.")
    var json = false

    func validate() throws {
        guard maxNewTokens >= 0 else { throw ValidationError("--max-new-tokens must not be negative") }
        guard temperature >= 0, topP > 0, topP <= 1 else { throw ValidationError("--temperature must be ≥ 0 and --top-p in (0, 1]") }
        if mapOut != nil && image.isEmpty { throw ValidationError("--map-out needs --image") }
        do { try PolicyRequest(policy, budget: budget).validate() } catch { throw ValidationError("--policy: \(error)") }
        if let layers, Self.parseLayers(layers) == nil { throw ValidationError("--layers must be comma-separated integers, e.g. 8,16,24") }
    }

    /// One line for stderr: image tokens kept per stage, prefill time, decode speed, the compute
    /// path, and `note` (formats requantized at load) if any.
    static func statsLine(_ result: GenerationResult, compute: ComputePath, note: String? = nil) -> String {
        let trace = result.trace
        let kept = ([trace.imageTokens] + trace.stages.map(\.count)).map(String.init).joined(separator: " → ")
        let rate = result.decodeSeconds > 0 ? Double(result.tokens.count) / result.decodeSeconds : 0
        return String(format: "[pdrop] image tokens %@; prefill %.3f s; %d tokens at %.1f tokens/s; compute %@",
                      kept, result.prefillSeconds, result.tokens.count, rate, compute.description) + (note.map { "; " + $0 } ?? "")
    }

    static func parseLayers(_ text: String) -> [Int]? {
        let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        return parts.isEmpty || parts.contains(nil) ? nil : parts.compactMap { $0 }
    }

    func run() throws {
        try computeOptions.apply()
        let pipeline = try modelOptions.pipeline(compute: computeOptions.compute)
        let llava = pipeline.model
        let pictures = try image.map { try ModelLoading.imageDecoder(for: llava).decode(contentsOf: $0) }
        let chosen = template == "auto" ? llava.checkpoint.defaultTemplate : try PromptTemplate(name: template)
        var request = PolicyRequest(self.policy, budget: budget)
        request.pdropLayers = layers.flatMap(Self.parseLayers)
        (request.pdropRatio, request.fastVK, request.fastVRatio, request.seed) = (ratio, fastvK, fastvRatio, seed)
        let made = try request.make(layerCount: llava.config.text.layerCount)
        let policy: any TokenPolicy = perImageBudget ? PerImagePolicy(made) : made
        let visionStart = Date()
        let (tokens, state) = try pipeline.prompt(text: try chosen.render(prompt, images: pictures.count), images: pictures, policy: policy)
        let visionSeconds = Date().timeIntervalSince(visionStart)
        let options = GenerationOptions(maxNewTokens: maxNewTokens, stopTokenIDs: pipeline.stopTokenIDs,
                                        sampler: Sampler(temperature: temperature, topP: topP, seed: seed),
                                        eligibleVocabulary: pipeline.eligibleVocabulary)
        var stream = pipeline.tokenizer.streamingDecoder()
        let result = try Generator(model: llava.language, policy: policy, makeStore: kvCache.makeStore).generate(prompt: state, options: options) { id in
            if !json, let piece = stream.next(id) {
                FileHandle.standardOutput.write(Data(piece.utf8))
            }
            return true
        }
        let answer = pipeline.tokenizer.decode(result.tokens)
        if !json { print(stream.finish()) }
        FileHandle.standardError.write(Data((Self.statsLine(result, compute: llava.computePaths.language, note: llava.checkpoint.gguf?.requantizationNote) + "\n").utf8))
        let unprunedTokens = state.unprunedCount
        let report = RunReport(result: result, promptTokens: unprunedTokens, policy: policy, shape: llava.language.shape,
                               visionSeconds: visionSeconds, compute: llava.computePaths)
        if let logitsOut {
            try SafeTensorsWriter.write([("prefill_logits", Tensor(shape: [result.prefillLogits.count], values: result.prefillLogits)),
                                         ("generated_ids", Tensor(shape: [result.tokens.count], integers: result.tokens))], to: logitsOut)
        }
        if let mapOut {
            let map = KeptTokenMap.render(pipeline.geometry(for: pictures), stages: result.trace.stages.map(\.kept),
                                          merged: result.trace.stages.map(\.merged))
            try FileBytes.writeAtomically(try map.pngData(), to: mapOut)
        }
        if let traceOut { try FileBytes.writeAtomically(Array((report.trace.serialized(pretty: true) + "\n").utf8), to: traceOut) }
        if json {
            print(JSON.object(["text": .string(answer), "generated_ids": .array(result.tokens.map { .int($0) }),
                               "prompt_tokens": .int(tokens.pieces.count), "trace": report.trace]).serialized())
        }
    }
}
