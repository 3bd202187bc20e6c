import ArgumentParser
import Foundation
import PyramidDrop
import Tensors
import Transformer
import WeightIO

/// `pdrop bench`: prefill and decode speed of the full model, PyramidDrop and FastV on synthetic
/// weights of a published shape, each next to a yardstick measured in the same run — the raw GEMM
/// of the compute path at the model's own shapes for prefill, a streaming read of memory (and raw
/// `sgemv`) for decode. `--vision` times the vision tower (CLIP or SigLIP) alone instead.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmark prefill (full, PyramidDrop, FastV) and decode on a synthetic model, or the vision tower (use a release build).",
        discussion: """
            Prefill is reported as GFLOP/s and as efficiency: that over the raw GEMM of the compute path (OpenBLAS sgemm for \
            f32, oneDNN bf16 for bf16) at the model's own shapes, measured in the same run. Decode is reported as every byte \
            a step reads (weights, LM head, KV cache) per second, and as its ratio to a streaming read of memory on every core.

            With --vision, bench times only the vision tower on one synthetic image, against the GEMM yardstick at the \
            tower's shapes: CLIP ViT-L/14-336 as LLaVA runs it (feature layer -2: 23 of its 24 layers), SigLIP \
            so400m-patch14-384 for the llava-onevision presets (feature layer -1: all 26 layers over 729 patches, no class \
            token), a tiny CLIP tower with --preset tiny; the language-model options (--layers, --image-tokens, --text-tokens, --kv-cache, --decode-tokens) are \
            then ignored.
            """)

    @Option(help: "Model shape: \(BenchPreset.allCases.map(\.rawValue).joined(separator: ", ")) (required unless --vision; with --vision the default is llava-1.5-7b).")
    var preset: BenchPreset?

    @Option(help: "Decoder layers to build (default: all of the preset's).")
    var layers: Int?

    @Option(help: "PyramidDrop stage boundaries, e.g. 2,4,6 (default: the quarter points of --layers).")
    var dropLayers: String?

    @Option(help: ArgumentHelp("More policies to time next to full, PyramidDrop and FastV, comma-separated (fastervlm, visionzip, divprune, dart, random, compositions such as visionzip+pdrop; a part may carry its budget, visionzip:128).",
                               discussion: PolicyOptions.discussion))
    var policy: String?

    @Option(help: "Budget N of the --policy entries that take one (default 64).")
    var budget: Int?

    @Option(help: "Image tokens in the prompt (default: the preset's typical count).")
    var imageTokens: Int?

    @Option(help: "Text tokens in the prompt.")
    var textTokens = 64

    @Option(help: "Weight storage: f32, f16, bf16, q8_0 or q4_0 (with --compute bf16, f32 and f16 weights are rounded to bf16 as they are built; q8_0 and q4_0 are quantized in memory, the embeddings and LM head too, and their prefill rounds dequantized tiles to bf16).")
    var weights = "f32"

    @Option(help: "KV cache storage for the decode steps: f32 or bf16.")
    var kvCache = KVCacheFormat.f32

    @Option(help: "Decode steps to time.")
    var decodeTokens = 16

    @Option(help: "Timed runs per variant, or of the vision tower (medians are reported).")
    var runs = 3

    @Flag(help: "Also time decode on an f32 copy of the model, steps interleaved (--compare-weights f32).")
    var compareF32 = false

    @Option(help: "Also time decode on a copy of the model stored as f32, f16, bf16, q8_0 or q4_0, steps interleaved.")
    var compareWeights: String?

    @Flag(help: "Time only the vision tower (as described above), not the language model.")
    var vision = false

    @Option(help: "With --vision: encoder layers to run (default: those of the preset's feature layer, e.g. 23 of CLIP's 24 at -2).")
    var visionLayers: Int?

    @Flag(help: "Print the preset's shapes (text model, vision tower, default image tokens) and exit, building nothing.")
    var shapes = false

    @OptionGroup var computeOptions: ComputeOptions

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard Self.weightChoices.contains(weights) else { throw ValidationError("--weights must be f32, f16, bf16, q8_0 or q4_0") }
        if let compareWeights, !Self.weightChoices.contains(compareWeights) {
            throw ValidationError("--compare-weights must be f32, f16, bf16, q8_0 or q4_0")
        }
        if compareF32 && compareWeights != nil { throw ValidationError("--compare-f32 is --compare-weights f32: give one of them") }
        guard runs >= 1, decodeTokens >= 0, textTokens >= 1 else { throw ValidationError("--runs and --text-tokens must be ≥ 1") }
        guard preset != nil || vision else { throw ValidationError("--preset is required (unless --vision)") }
        if shapes && preset == nil { throw ValidationError("--shapes needs --preset") }
        if vision {
            if comparison != nil { throw ValidationError("--compare-f32 and --compare-weights time decode, which --vision does not run") }
            let count = visionPreset.visionConfig.layerCount
            if let visionLayers, !(1...count).contains(visionLayers) {
                throw ValidationError("--vision-layers must be between 1 and \(count) (the tower's layers)")
            }
            return
        }
        if visionLayers != nil { throw ValidationError("--vision-layers needs --vision") }
        if let layers, layers < 4 { throw ValidationError("--layers must be at least 4 (PyramidDrop drops at the quarter points)") }
        if let imageTokens, imageTokens < 0 { throw ValidationError("--image-tokens must not be negative") }
        for spelling in (policy ?? "").split(separator: ",").map(String.init) {
            do { try PolicyRequest(spelling, budget: budget).validate() } catch { throw ValidationError("--policy: \(error)") }
        }
        if let dropLayers, Run.parseLayers(dropLayers) == nil { throw ValidationError("--drop-layers must be comma-separated integers, e.g. 2,4,6") }
        if let comparison, comparison.rawValue.lowercased() == weights && computeOptions.compute != .bf16 {
            throw ValidationError("--compare-weights \(weights) compares the model with itself: pick other --weights")
        }
    }

    /// What --weights and --compare-weights accept.
    static let weightChoices = ["f32", "f16", "bf16", "q8_0", "q4_0"]

    /// The dtype of the decode comparison copy, if one was asked for.
    private var comparison: DType? {
        compareWeights.map { DType(rawValue: $0.uppercased())! } ?? (compareF32 ? .f32 : nil)
    }

    /// The preset `--vision` takes its tower from.
    private var visionPreset: BenchPreset { preset ?? .llava15 }

    /// Bytes of a copy of the model's layers and LM head stored as `dtype`, refused when it would not fit.
    static func checkCopyFits(config: LlamaConfig, dtype: DType) throws {
        let perLayer = config.layerMatrixShapes.reduce(0) { $0 + $1.rows * $1.columns }
        let tables = config.tieWordEmbeddings ? 1 : 2   // the embeddings and an untied head
        let elements = config.layerCount * perLayer + tables * config.vocabularySize * config.hiddenSize
        let bytes = Double(dtype.byteCount(elements: elements / 32 * 32) ?? 4 * elements)
        let available = Double(ProcessInfo.processInfo.physicalMemory) / 2
        if bytes > available {
            throw ValidationError("the \(dtype.rawValue.lowercased()) copy needs \(format(bytes / 1e9)) GB, more than half of this machine's memory; use fewer --layers")
        }
    }

    /// The model of the decode comparison: `dtype` weights on the path `--compute` gives them.
    private func comparisonModel(config: LlamaConfig, dtype: DType) throws -> LlamaModel {
        try Self.checkCopyFits(config: config, dtype: dtype)
        let path = try computeOptions.compute.path(forWeights: dtype)
        return SyntheticModel.make(config: config, dtype: path == .bf16 && !dtype.isBlockQuantized ? .bf16 : dtype, compute: path)
    }

    func run() throws {
        if shapes, let preset {
            print(json ? try preset.shapesJSON().serialized(pretty: true) : try preset.shapesText())
            return
        }
        try computeOptions.apply()
        let requested = DType(rawValue: weights.uppercased())!
        let path = try computeOptions.compute.path(forWeights: requested)
        // The bf16 path needs BF16 or block-quantized weights: other dtypes are rounded as they are built.
        let stored = path == .bf16 && !requested.isBlockQuantized ? DType.bf16 : requested
        let setup = BenchSetup(mode: computeOptions.compute, path: path, requested: requested, stored: stored)
        if vision {
            try runVision(setup)
        } else {
            try runLanguageModel(setup, preset: preset!)
        }
    }

    private func runLanguageModel(_ setup: BenchSetup, preset: BenchPreset) throws {
        var config = try preset.config()
        if let layers { config.layerCount = layers }
        let images = imageTokens ?? preset.defaultImageTokens
        let model = SyntheticModel.make(config: config, dtype: setup.stored, compute: setup.path)
        let policies = try benchPolicies(layerCount: config.layerCount)
        let image = try benchImage(preset: preset, model: model, imageTokens: images, setup: setup,
                                   preDecoder: policies.contains { $0.policy.placement.contains(.beforeDecoder) })
        let (text, before) = try Self.text(model: model, textTokens: textTokens)
        let yardsticks = GEMMYardsticks(config.layerGEMMShapes(rows: textTokens + images), path: setup.path)
        let prefill = PrefillBench(model: model, text: text, before: before, image: image, policies: policies, runs: runs, yardsticks: yardsticks)
        let variants = try prefill.run()
        let prompt = prefill.prompt(.all(image))
        let decodeModels = try [model] + (comparison.map { [try comparisonModel(config: config, dtype: $0)] } ?? [])
        let decode = decodeTokens > 0 ? try DecodeBench(models: decodeModels, prompt: prompt, steps: decodeTokens, kvCache: kvCache).run() : nil

        let full = variants[0]
        var results: [String: JSON] = [:]
        var lines: [String] = []
        for variant in variants {
            let efficiency = variant.gflops / yardsticks.gflops
            var entry: [String: JSON] = [
                "prefill_s": variant.seconds.json, "gflops": .double(variant.gflops), "efficiency": .double(efficiency),
                "compute": .string(setup.prefillName), "fallbacks": .int(variant.fallbacks),
            ]
            let width = max(6, variants.map(\.name.count).max() ?? 0)
            var line = "\(variant.name.padding(toLength: width, withPad: " ", startingAt: 0)) prefill \(variant.seconds.text)  "
                + "\(Self.format(variant.gflops)) GFLOP/s, efficiency \(Self.format(efficiency))"
            entry["image_tokens"] = .int(variant.imageTokens)
            if variant.preDecoderMS.median > 0 {
                entry["pre_decoder_ms"] = variant.preDecoderMS.json
                line += "; \(variant.imageTokens) image tokens in, pre-decoder step \(variant.preDecoderMS.text("ms"))"
            }
            if let own = variant.ownRowsGFLOPs {
                entry["yardstick_own_rows_gflops"] = .double(own)
                entry["efficiency_own_rows"] = .double(variant.gflops / own)
                line += "; \(Self.format(variant.gflops / own)) of the yardstick at its \(variant.imageTokens + textTokens) rows (\(Self.format(own)) GFLOP/s)"
            }
            if variant.name != full.name {
                let speedup = full.totalSeconds / variant.totalSeconds, ratio = full.flops / variant.flops
                entry["speedup"] = .double(speedup)
                entry["flops_ratio"] = .double(ratio)
                line += "  speed-up \(Self.format(speedup))× (FLOPs ratio \(Self.format(ratio))×)"
            }
            results[variant.name] = .object(entry)
            lines.append(line + variant.fallbackNote)
        }
        var report: [String: JSON] = [
            "preset": .string(preset.rawValue), "layers": .int(config.layerCount), "model": config.benchShapeJSON, "weights": .string(weights),
            "weights_stored": .string(setup.stored.rawValue.lowercased()), "kv_cache": .string(kvCache.rawValue),
            "tokens": .object(["image": .int(images), "text": .int(textTokens)]),
            "compute": setup.json, "platform": BenchPlatform.json, "variants": .object(results),
            "peak_rss_bytes": .int(Self.peakResidentBytes()),
        ]
        report.merge(yardsticks.json) { $1 }
        if let decode { report["decode"] = decodeJSON(decode, setup: setup) }
        if json {
            print(JSON.object(report).serialized(pretty: true))
            return
        }
        print("\(preset.rawValue): \(config.layerCount) layers, \(setup.weightsText), \(images) image + \(textTokens) text tokens, kv cache \(kvCache.rawValue)")
        print("compute \(setup.path.rawValue) (--compute \(setup.mode.rawValue)), \(Threads.count) threads: prefill \(setup.prefillName), decode \(setup.decodeName)")
        print(BenchPlatform.cpuLine)
        print(yardsticks.text(at: "the model's GEMM shapes"))
        lines.forEach { print($0) }
        if let decode {
            let paired = decode.pairedStreamRatios
            print("decode  \(decode.msPerToken[0].text("ms/token")), \(Self.format(decode.stepBytes[0] / 1e9)) GB/step "
                  + "(weights, LM head, KV cache) at \(Self.format(decode.stepGBps(0))) GB/s")
            print("        streaming read on \(decode.streamThreads) threads, best \(Self.format(decode.streamGBps.max)) GB/s: decode at "
                  + "\(Self.format(decode.streamRatio(0))) of it (step by step \(Self.format(paired.median)), "
                  + "\(Self.format(paired.min))–\(Self.format(paired.max)))")
            print("        weights read at \(Self.format(decode.weightGBps(0))) GB/s; raw sgemv at the decode shapes "
                  + "\(decode.sgemvGBps.text("GB/s")): \(Self.format(decode.boundRatio(0)))× the weight-read time at that rate")
            if let comparison {
                let name = comparison.rawValue.lowercased()
                print("        \(name) copy: \(decode.msPerToken[1].text("ms/token")), at \(Self.format(decode.streamRatio(1))) of the streaming read; "
                      + "\(setup.stored.rawValue.lowercased()) is \(Self.format(decode.speedup(0, over: 1)))× faster per token")
            }
        }
        print(Self.peakRSSLine)
    }

    private func decodeJSON(_ decode: DecodeBench.Result, setup: BenchSetup) -> JSON {
        var entry: [String: JSON] = [
            "ms_per_token": decode.msPerToken[0].json, "weight_gbps": .double(decode.weightGBps(0)),
            "sgemv_gbps": decode.sgemvGBps.json, "bound_ratio": .double(decode.boundRatio(0)),
            "bytes_per_step": .double(decode.stepBytes[0]), "gbps": .double(decode.stepGBps(0)),
            "stream_gbps": decode.streamGBps.json, "stream_threads": .int(decode.streamThreads),
            "stream_ratio": .double(decode.streamRatio(0)), "stream_ratio_paired": decode.pairedStreamRatios.json,
            "compute": .string(setup.decodeName),
        ]
        if let comparison {
            let name = comparison.rawValue.lowercased()
            entry["\(name)_ms_per_token"] = decode.msPerToken[1].json
            entry["\(name)_stream_ratio"] = .double(decode.streamRatio(1))
            entry["speedup_vs_\(name)"] = .double(decode.speedup(0, over: 1))
        }
        return .object(entry)
    }

    private func runVision(_ setup: BenchSetup) throws {
        let preset = visionPreset, config = preset.visionConfig
        try config.validate(source: "preset \(preset.rawValue)")
        let layers = visionLayers ?? preset.visionLayers
        let result = VisionBench(config: config, layers: layers, stored: setup.stored, compute: setup.path, runs: runs).run()
        var entry = config.benchShapeJSON
        entry.merge([
            "tower": .string(preset.visionName), "layers": .int(layers),
            "seconds": result.seconds.json, "flops": .double(result.flops), "gflops": .double(result.gflops),
            "bound_ratio": .double(result.boundRatio), "efficiency": .double(1 / result.boundRatio),
            "compute": .string(setup.prefillName), "fallbacks": .int(result.fallbacks),
        ]) { $1 }
        entry.merge(result.yardsticks.json) { $1 }
        let report: [String: JSON] = [
            "preset": .string(preset.rawValue), "weights": .string(weights), "weights_stored": .string(setup.stored.rawValue.lowercased()),
            "compute": setup.json, "platform": BenchPlatform.json, "vision": .object(entry),
            "peak_rss_bytes": .int(Self.peakResidentBytes()),
        ]
        if json {
            print(JSON.object(report).serialized(pretty: true))
            return
        }
        print("\(preset.visionName) vision tower (synthetic): \(layers) of \(config.layerCount) layers, \(config.tokenCount) tokens, \(setup.weightsText)")
        print("compute \(setup.path.rawValue) (--compute \(setup.mode.rawValue)), \(Threads.count) threads: \(setup.prefillName)")
        print(BenchPlatform.cpuLine)
        print(result.yardsticks.text(at: "the tower's GEMM shapes"))
        print("vision  \(result.seconds.text)  \(Self.format(result.gflops)) GFLOP/s over \(Self.format(result.flops / 1e9)) GFLOP: "
              + "\(Self.format(result.boundRatio))× the time at the yardstick's rate" + result.fallbackNote)
        print(Self.peakRSSLine)
    }

    /// Random text embeddings; the image block goes after the first 5 (as in LLaVA prompts).
    static func text(model: LlamaModel, textTokens: Int) throws -> (text: Tensor, before: Int) {
        var generator = SplitMix64(seed: 42)
        let ids = (0..<textTokens).map { _ in Int(generator.next() % UInt64(model.vocabularySize)) }
        return (try model.embed(ids), min(5, textTokens))
    }

    /// full, PyramidDrop (at --drop-layers or the quarter points), FastV (K = 2), then --policy's.
    private func benchPolicies(layerCount: Int) throws -> [(name: String, policy: any TokenPolicy)] {
        let boundaries = dropLayers.flatMap(Run.parseLayers) ?? PyramidDropPolicy.quarterPoints(layerCount: layerCount)
        var policies: [(name: String, policy: any TokenPolicy)] = [
            ("full", KeepAllPolicy()),
            ("pdrop", try PyramidDropPolicy(boundaries: boundaries, lambda: 0.5)),
            ("fastv", try FastVPolicy(k: min(2, layerCount - 1), dropRatio: 0.5)),
        ]
        for spelling in (policy ?? "").split(separator: ",").map(String.init) {
            var request = PolicyRequest(spelling, budget: budget)
            request.pdropLayers = boundaries
            let made = try request.make(layerCount: layerCount)
            // Name each budgeted part with the budget it ran at: visionzip:64+pdrop.
            let label = spelling.split(separator: "+").map { part in
                PolicyRequest.budgeted.contains(String(part)) ? "\(part):\(budget ?? PolicyRequest.defaultBudget)" : String(part)
            }.joined(separator: "+")
            policies.append((label, made))
        }
        return policies
    }

    /// The image of every variant: a synthetic tower image of whole CLIP crops when a pre-decoder
    /// policy needs the tower's outputs (their class token included), else random features.
    private func benchImage(preset: BenchPreset, model: LlamaModel, imageTokens: Int, setup: BenchSetup, preDecoder: Bool) throws -> ImageTokens {
        let d = model.config.hiddenSize
        guard preDecoder else {
            var generator = SplitMix64(seed: 43)
            let values = (0..<(imageTokens * d)).map { _ in Float(generator.next() >> 40) / Float(1 << 24) - 0.5 }
            return ImageTokens(features: Tensor(shape: [imageTokens, d], values: values))
        }
        guard let vision = preset.visionConfig as? CLIPVisionConfig else {
            throw ValidationError("pre-decoder policies need CLIP crops with a class token; \(preset.visionName) (\(preset.rawValue)) has none")
        }
        guard imageTokens > 0, imageTokens % vision.patchCount == 0 else {
            throw ValidationError("pre-decoder policies need --image-tokens to be whole crops of \(vision.patchCount) (\(preset.visionName))")
        }
        return SyntheticImage(vision: vision, textHidden: d, crops: imageTokens / vision.patchCount, dtype: setup.stored, compute: setup.path).tokens
    }

    /// `peak RSS N GB`, the report's last line.
    static var peakRSSLine: String { "peak RSS \(format(Double(peakResidentBytes()) / 1e9)) GB" }

    static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }

    static func format(_ x: Double) -> String { String(format: x >= 100 ? "%.0f" : x >= 10 ? "%.1f" : "%.2f", x) }
}
