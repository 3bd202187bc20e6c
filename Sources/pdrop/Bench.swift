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

    @Option(help: "Decode steps to time.")
    var decodeTokens = 16

    @Option(help: "Timed runs per variant (medians are reported).")
    var runs = 3

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard ["f32", "f16", "bf16"].contains(weights) else { throw ValidationError("--weights must be f32, f16 or bf16") }
        guard runs >= 1, decodeTokens >= 0, textTokens >= 1 else { throw ValidationError("--runs and --text-tokens must be ≥ 1") }
        if let layers, layers < 4 { throw ValidationError("--layers must be at least 4 (PyramidDrop drops at the quarter points)") }
        if let imageTokens, imageTokens < 0 { throw ValidationError("--image-tokens must not be negative") }
    }

    func run() throws {
        var config = try preset.config()
        if let layers { config.layerCount = layers }
        let images = imageTokens ?? preset.defaultImageTokens
        let dtype = DType(rawValue: weights.uppercased())!
        let model = SyntheticModel.make(config: config, dtype: dtype)
        let prompt = try Self.prompt(model: model, imageTokens: images, textTokens: textTokens)
        let flops = FLOPsModel(hiddenSize: config.hiddenSize, intermediateSize: config.intermediateSize,
                               queryWidth: config.headCount * config.headDim, keyValueWidth: config.kvHeadCount * config.headDim)
        let yardstick = Self.sgemmGFLOPs(config: config, rows: prompt.count)
        let quarters = (1...3).map { $0 * config.layerCount / 4 }
        let variants: [(String, DropSchedule, any TokenRanker)] = [
            ("full", .none, KeepAllRanker()),
            ("pdrop", try .pyramid(boundaries: quarters, lambda: 0.5), AttentionRanker.pyramidDrop()),
            ("fastv", try .fastV(k: min(2, config.layerCount - 1), dropRatio: 0.5), AttentionRanker.fastV()),
        ]
        var results: [String: JSON] = [:]
        var fullMedian = 0.0, fullFLOPs = 0.0
        var lines: [String] = []
        for (name, schedule, ranker) in variants {
            let wrapper = try PyramidWrapper(layers: model.decoderLayers, schedule: schedule, ranker: ranker)
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
        let decode = try Self.decode(model: model, prompt: prompt, steps: decodeTokens)
        let bandwidth = Self.sgemvBandwidth()
        let report: JSON = .object([
            "preset": .string(preset.rawValue), "layers": .int(config.layerCount), "weights": .string(weights),
            "tokens": .object(["image": .int(images), "text": .int(textTokens)]),
            "sgemm_gflops": .double(yardstick), "variants": .object(results),
            "decode": .object(["ms_per_token": .double(decode.msPerToken), "weight_gbps": .double(decode.weightGBps),
                               "bandwidth_gbps": .double(bandwidth)]),
            "peak_rss_bytes": .int(Self.peakResidentBytes()),
        ])
        if json {
            print(report.serialized(pretty: true))
            return
        }
        print("\(preset.rawValue): \(config.layerCount) layers, \(weights) weights, \(images) image + \(textTokens) text tokens")
        print("raw sgemm at the model's GEMM shapes: \(Self.format(yardstick)) GFLOP/s")
        lines.forEach { print($0) }
        print("decode  \(Self.format(decode.msPerToken)) ms/token, weights read at \(Self.format(decode.weightGBps)) GB/s (raw sgemv: \(Self.format(bandwidth)) GB/s)")
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
        let d = config.hiddenSize, m = config.intermediateSize
        let q = config.headCount * config.headDim, kv = config.kvHeadCount * config.headDim
        let shapes = [(q, d), (kv, d), (kv, d), (d, q), (m, d), (m, d), (d, m)]   // (out, in)
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

    /// Decode speed after a full prefill: ms per token and the weight bytes read per second.
    static func decode(model: LlamaModel, prompt: TokenState, steps: Int) throws -> (msPerToken: Double, weightGBps: Double) {
        guard steps > 0 else { return (0, 0) }
        let wrapper = try PyramidWrapper(layers: model.decoderLayers, schedule: .none, ranker: KeepAllRanker())
        var caches = wrapper.makeCaches()
        let (state, _) = wrapper.prefill(prompt, caches: &caches)
        var logits = model.logits(state.hidden.gatherRows([state.count - 1])).floats
        let start = Date()
        for _ in 0..<steps {
            let next = logits.withUnsafeBufferPointer { Sampler.argmax($0) }
            logits = model.logits(wrapper.decode(try model.embed([next]), caches: &caches)).floats
        }
        let seconds = Date().timeIntervalSince(start) / Double(steps)
        let layerBytes = model.layers.reduce(0) { total, layer in
            total + [layer.qProj, layer.kProj, layer.vProj, layer.oProj, layer.gateProj, layer.upProj, layer.downProj]
                .reduce(0) { $0 + $1.weight.rawBytes.count }
        }
        return (seconds * 1000, Double(layerBytes + model.lmHead.rawBytes.count) / seconds / 1e9)
    }

    /// Weight bandwidth of raw `cblas_sgemv` over a 256 MiB f32 matrix, the decode yardstick.
    static func sgemvBandwidth() -> Double {
        let rows = 8192, columns = 8192
        let matrix = [Float](repeating: 0.001, count: rows * columns), x = [Float](repeating: 1, count: columns)
        var y = [Float](repeating: 0, count: rows)
        var best = Double.infinity
        for _ in 0..<3 {
            let start = Date()
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(rows), Int32(columns), 1, matrix, Int32(columns), x, 1, 0, &y, 1)
            best = min(best, Date().timeIntervalSince(start))
        }
        return Double(rows * columns * 4) / best / 1e9
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
    var text: String { "\(Bench.format(median)) s (\(Bench.format(min))–\(Bench.format(max)))" }
}
