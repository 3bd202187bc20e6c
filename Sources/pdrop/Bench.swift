import ArgumentParser
import CBLAS
import Foundation
import PyramidDrop
import Tensors
import Transformer
import WeightIO

/// `pdrop bench`: prefill and decode speed of the full model, PyramidDrop and FastV on synthetic
/// weights of a published shape, next to raw `sgemm` at the model's own GEMM shapes.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmark prefill (full, PyramidDrop, FastV) and decode on a synthetic model (use a release build).")

    @Option(help: "Model shape: \(BenchPreset.allCases.map(\.rawValue).joined(separator: ", ")).")
    var preset: BenchPreset

    @Option(help: "Decoder layers to build (default: all of the preset's).")
    var layers: Int?

    @Option(help: "Image tokens in the prompt (default: the preset's typical count).")
    var imageTokens: Int?

    @Option(help: "Text tokens in the prompt.")
    var textTokens = 64

    @Option(help: "Weight storage: f32, f16 or bf16.")
    var weights = "f32"

    @Option(help: "KV cache storage for the decode steps: f32 or bf16.")
    var kvCache = KVCacheFormat.f32

    @Option(help: "Decode steps to time.")
    var decodeTokens = 16

    @Option(help: "Timed runs per variant (medians are reported).")
    var runs = 3

    @Flag(help: "With 16-bit --weights, also time decode on an f32 copy of the model, steps interleaved.")
    var compareF32 = false

    @OptionGroup var computeOptions: ComputeOptions

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard ["f32", "f16", "bf16"].contains(weights) else { throw ValidationError("--weights must be f32, f16 or bf16") }
        guard runs >= 1, decodeTokens >= 0, textTokens >= 1 else { throw ValidationError("--runs and --text-tokens must be ≥ 1") }
        if let layers, layers < 4 { throw ValidationError("--layers must be at least 4 (PyramidDrop drops at the quarter points)") }
        if let imageTokens, imageTokens < 0 { throw ValidationError("--image-tokens must not be negative") }
        if compareF32 && weights == "f32" { throw ValidationError("--compare-f32 needs --weights f16 or bf16") }
    }

    /// Bytes of an f32 copy of the model's layers and LM head, refused when it would not fit.
    static func checkF32CopyFits(config: LlamaConfig) throws {
        let perLayer = config.layerMatrixShapes.reduce(0) { $0 + $1.rows * $1.columns }
        let bytes = 4 * (config.layerCount * perLayer + 2 * config.vocabularySize * config.hiddenSize)
        let available = Double(ProcessInfo.processInfo.physicalMemory) / 2
        if Double(bytes) > available {
            throw ValidationError("--compare-f32 needs \(format(Double(bytes) / 1e9)) GB for the f32 copy, more than half of this machine's memory; use fewer --layers")
        }
    }

    func run() throws {
        var config = try preset.config()
        if let layers { config.layerCount = layers }
        let images = imageTokens ?? preset.defaultImageTokens
        try computeOptions.apply()
        let path = try computeOptions.compute.path(forWeights: DType(rawValue: weights.uppercased())!)
        let dtype = path == .bf16 ? DType.bf16 : DType(rawValue: weights.uppercased())!
        let model = SyntheticModel.make(config: config, dtype: dtype, compute: path)
        let prompt = try Self.prompt(model: model, imageTokens: images, textTokens: textTokens)
        let flops = config.decoderShape.flops
        let yardstick = Self.sgemmGFLOPs(config: config, rows: prompt.count)
        let quarters = PyramidDropPolicy.quarterPoints(layerCount: config.layerCount)
        let variants: [(String, any TokenPolicy)] = [
            ("full", KeepAllPolicy()),
            ("pdrop", try PyramidDropPolicy(boundaries: quarters, lambda: 0.5)),
            ("fastv", try FastVPolicy(k: min(2, config.layerCount - 1), dropRatio: 0.5)),
        ]
        var results: [String: JSON] = [:]
        var fullMedian = 0.0, fullFLOPs = 0.0
        var lines: [String] = []
        for (name, policy) in variants {
            let wrapper = try PyramidWrapper(model: model, policy: policy)
            var times: [Double] = []
            var tokensPerLayer: [Int] = []
            for _ in 0..<runs {
                var caches = wrapper.makeCaches()
                let start = Date()
                let (_, trace) = wrapper.prefill(prompt, caches: &caches)
                times.append(Date().timeIntervalSince(start))
                tokensPerLayer = trace.tokensPerLayer
            }
            let stats = Statistics(times)
            let work = 2 * flops.totalFLOPs(tokensPerLayer: tokensPerLayer)   // multiply-adds → FLOPs
            let gflops = work / stats.median / 1e9
            var entry: [String: JSON] = ["prefill_s": stats.json, "gflops": .double(gflops), "efficiency": .double(gflops / yardstick)]
            var line = "\(name.padding(toLength: 6, withPad: " ", startingAt: 0)) prefill \(stats.text)  \(Self.format(gflops)) GFLOP/s (\(Self.format(100 * gflops / yardstick))% of sgemm)"
            if name == "full" {
                fullMedian = stats.median
                fullFLOPs = work
            } else {
                entry["speedup"] = .double(fullMedian / stats.median)
                entry["flops_ratio"] = .double(fullFLOPs / work)
                line += "  speed-up \(Self.format(fullMedian / stats.median))× (FLOPs ratio \(Self.format(fullFLOPs / work))×)"
            }
            results[name] = .object(entry)
            lines.append(line)
        }
        if compareF32 { try Self.checkF32CopyFits(config: config) }
        let decodeModels = compareF32 ? [model, SyntheticModel.make(config: config, dtype: .f32)] : [model]
        let decode = decodeTokens > 0 ? try DecodeBench(models: decodeModels, prompt: prompt, steps: decodeTokens, kvCache: kvCache).run() : nil
        var report: [String: JSON] = [
            "preset": .string(preset.rawValue), "layers": .int(config.layerCount), "weights": .string(weights), "kv_cache": .string(kvCache.rawValue),
            "tokens": .object(["image": .int(images), "text": .int(textTokens)]),
            "sgemm_gflops": .double(yardstick), "variants": .object(results),
            "peak_rss_bytes": .int(Self.peakResidentBytes()),
        ]
        if let decode {
            var entry: [String: JSON] = [
                "ms_per_token": decode.msPerToken[0].json, "weight_gbps": .double(decode.weightGBps(0)),
                "sgemv_gbps": decode.sgemvGBps.json, "bound_ratio": .double(decode.boundRatio(0)),
            ]
            if compareF32 {
                entry["f32_ms_per_token"] = decode.msPerToken[1].json
                entry["speedup_vs_f32"] = .double(decode.speedup(0, over: 1))
            }
            report["decode"] = .object(entry)
        }
        if json {
            print(JSON.object(report).serialized(pretty: true))
            return
        }
        print("\(preset.rawValue): \(config.layerCount) layers, \(weights) weights, \(images) image + \(textTokens) text tokens")
        print("raw sgemm at the model's GEMM shapes: \(Self.format(yardstick)) GFLOP/s")
        lines.forEach { print($0) }
        if let decode {
            print("decode  \(decode.msPerToken[0].text("ms/token")), weights read at \(Self.format(decode.weightGBps(0))) GB/s")
            print("        raw sgemv at the model's decode shapes: \(decode.sgemvGBps.text("GB/s")); decode takes \(Self.format(decode.boundRatio(0)))× the time to read the weights at that rate")
            if compareF32 {
                print("        f32 copy: \(decode.msPerToken[1].text("ms/token")); \(weights) is \(Self.format(decode.speedup(0, over: 1)))× faster per token")
            }
        }
        print("peak RSS \(Self.format(Double(Self.peakResidentBytes()) / 1e9)) GB")
    }

    /// Random text embeddings around a block of random image features (5 text tokens first, as in
    /// LLaVA prompts).
    static func prompt(model: LlamaModel, imageTokens: Int, textTokens: Int) throws -> TokenState {
        var generator = SplitMix64(seed: 42)
        let before = min(5, textTokens)
        let ids = (0..<textTokens).map { _ in Int(generator.next() % UInt64(model.vocabularySize)) }
        let text = try model.embed(ids).floats
        let d = model.config.hiddenSize
        let image = (0..<(imageTokens * d)).map { _ in Float(generator.next() >> 40) / Float(1 << 24) - 0.5 }
        let values = Array(text[..<(before * d)]) + image + Array(text[(before * d)...])
        let isImage = (0..<(textTokens + imageTokens)).map { $0 >= before && $0 < before + imageTokens }
        return TokenState(hidden: Tensor(shape: [isImage.count, d], values: values), isImage: isImage)
    }

    /// Raw `cblas_sgemm` GFLOP/s over one layer's GEMM shapes with `rows` tokens (best of 5).
    static func sgemmGFLOPs(config: LlamaConfig, rows: Int) -> Double {
        let shapes = config.layerMatrixShapes
        let largest = shapes.map { $0.0 * $0.1 }.max()!, widest = shapes.map { max($0.0, $0.1) }.max()!
        let a = [Float](repeating: 0.01, count: rows * widest), b = [Float](repeating: 0.02, count: largest)
        var c = [Float](repeating: 0, count: rows * widest)
        var best = Double.infinity
        for _ in 0..<5 {
            let start = Date()
            for (out, inner) in shapes {
                GEMM.sgemm(transB: true, m: rows, n: out, k: inner, a: a, lda: inner, b: b, ldb: inner, c: &c, ldc: out)
            }
            best = min(best, Date().timeIntervalSince(start))
        }
        let work = shapes.reduce(0.0) { $0 + 2 * Double(rows) * Double($1.0) * Double($1.1) }
        return work / best / 1e9
    }

    static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }

    static func format(_ x: Double) -> String { String(format: x >= 100 ? "%.0f" : x >= 10 ? "%.1f" : "%.2f", x) }
}

/// Median, minimum and maximum of a few timings.
struct Statistics {
    let median: Double, min: Double, max: Double

    init(_ values: [Double]) {
        let sorted = values.sorted()
        median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        min = sorted.first!
        max = sorted.last!
    }

    var json: JSON { .object(["median": .double(median), "min": .double(min), "max": .double(max)]) }
    var text: String { text("s") }

    /// "median unit (min–max)".
    func text(_ unit: String) -> String { "\(Bench.format(median)) \(unit) (\(Bench.format(min))–\(Bench.format(max)))" }
}
