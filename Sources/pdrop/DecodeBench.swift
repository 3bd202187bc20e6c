import Foundation
import PyramidDrop
import Tensors
import Transformer

/// Decode timing for `pdrop bench`. Each model is prefilled once, then its decode steps are timed
/// one at a time, each round followed by a streaming read of memory on every core, so that both
/// see the same memory bandwidth on a machine where it drifts. Raw `cblas_sgemv` over the model's
/// own decode shapes is timed before the first round and after the last, each time followed by a
/// pause: OpenBLAS's threads spin for a while after a call, and would otherwise compete with the
/// timed steps (which never call OpenBLAS).
struct DecodeBench {
    /// Models of the same shape to time side by side (for example bf16 weights and an f32 copy).
    let models: [LlamaModel]
    let prompt: TokenState
    let steps: Int
    let kvCache: KVCacheFormat
    /// Streaming-read passes before the first step (one more follows every step).
    var warmStreamPasses = 3

    struct Result {
        /// Milliseconds per token, per model.
        let msPerToken: [Statistics]
        /// Weight bytes one decode step reads, per model (every layer's matrices and the LM head;
        /// a tied head is the embedding table, counted once).
        let weightBytes: [Int]
        /// Every byte one decode step reads, per model, averaged over the steps: all weights (the
        /// matrices and their biases, norms, the LM head and one embedding row — none more when the
        /// head is the table, read whole for the logits) and the KV cache at its dtype for the
        /// tokens cached at that step.
        let stepBytes: [Double]
        /// Bytes per second of raw sgemv over f32 matrices of the model's decode shapes.
        let sgemvGBps: Statistics
        /// Bytes per second of the streaming read (its best pass is the yardstick).
        let streamGBps: Statistics
        /// Threads of the streaming read.
        let streamThreads: Int
        /// Per step of model 0: its bytes per second over the streaming read's right after it.
        let pairedStreamRatios: Statistics

        /// Decode time over the time to read model `index`'s weights at the sgemv bandwidth.
        func boundRatio(_ index: Int) -> Double {
            msPerToken[index].median / (Double(weightBytes[index]) / sgemvGBps.median / 1e6)
        }

        /// How many times faster per token model `index` decodes than model `other`.
        func speedup(_ index: Int, over other: Int) -> Double { msPerToken[other].median / msPerToken[index].median }

        /// Weight bytes per second while decoding with model `index`.
        func weightGBps(_ index: Int) -> Double { Double(weightBytes[index]) / msPerToken[index].median / 1e6 }

        /// Every byte a step reads, per second, while decoding with model `index`.
        func stepGBps(_ index: Int) -> Double { stepBytes[index] / msPerToken[index].median / 1e6 }

        /// `stepGBps` over the best streaming read: how close decode comes to the memory's speed.
        func streamRatio(_ index: Int) -> Double { stepGBps(index) / streamGBps.max }
    }

    func run() throws -> Result {
        let wrappers = try models.map { try PyramidWrapper(model: $0, policy: KeepAllPolicy()) }
        var caches = wrappers.map { $0.makeCaches(kvCache.makeStore) }
        var logits = try models.indices.map { i in
            let (state, _) = try wrappers[i].prefill(prompt, caches: &caches[i])
            return models[i].logits(state.hidden.gatherRows([state.count - 1])).floats
        }
        let stream = StreamingRead()
        var streams = (0..<warmStreamPasses).map { _ in stream.measureGBps() }
        let yardstick = SGEMVYardstick(config: models[0].config, vocabulary: models[0].vocabularySize)
        var bandwidths = measureSGEMV(yardstick)
        var times = Array(repeating: [Double](), count: models.count), paired: [Double] = []
        let bytes = models.map { stepBytes($0) }
        for _ in 0..<steps {
            for i in models.indices {
                let next = logits[i].withUnsafeBufferPointer { Sampler.argmax($0) }
                let start = Date()
                logits[i] = models[i].logits(wrappers[i].decode(try models[i].embed([next]), caches: &caches[i])).floats
                times[i].append(Date().timeIntervalSince(start) * 1000)
            }
            streams.append(stream.measureGBps())
            paired.append(bytes[0] / times[0].last! / 1e6 / streams.last!)
        }
        bandwidths += measureSGEMV(yardstick)
        return Result(msPerToken: times.map(Statistics.init), weightBytes: models.map(Self.weightBytes),
                      stepBytes: bytes, sgemvGBps: Statistics(bandwidths), streamGBps: Statistics(streams),
                      streamThreads: stream.threads, pairedStreamRatios: Statistics(paired.isEmpty ? [0] : paired))
    }

    /// Three passes of the sgemv yardstick, then the pause that lets OpenBLAS's threads go idle.
    private func measureSGEMV(_ yardstick: SGEMVYardstick) -> [Double] {
        let rates = (0..<3).map { _ in yardstick.measureGBps() }
        Thread.sleep(forTimeInterval: 0.2)
        return rates
    }

    /// The bytes of every layer's matrices and the LM head (once, tied or not).
    static func weightBytes(_ model: LlamaModel) -> Int {
        model.layers.reduce(model.lmHead.rawBytes.count) { total, layer in
            total + layer.projections.reduce(0) { $0 + $1.weight.rawBytes.count }
        }
    }

    /// The bytes of every layer's projection biases (Qwen2's q, k and v).
    static func biasBytes(_ model: LlamaModel) -> Int {
        model.layers.reduce(0) { total, layer in total + layer.projections.reduce(0) { $0 + ($1.bias?.rawBytes.count ?? 0) } }
    }

    /// Every byte a decode step of `model` reads, averaged over `steps` steps after `prompt`: step
    /// `s` (from 0) attends over `prompt.count + s + 1` cached rows of keys and values per layer.
    func stepBytes(_ model: LlamaModel) -> Double {
        let config = model.config
        let norms = model.layers.reduce(model.norm.rawBytes.count) {
            $0 + $1.inputNorm.rawBytes.count + $1.postAttentionNorm.rawBytes.count
        }
        // A tied head reads the whole table for the logits, the embedded row among it.
        let embeddingRow = model.headIsEmbeddingTable ? 0 : model.embedTokens.rawBytes.count / model.vocabularySize
        let cachedRows = Double(prompt.count) + Double(steps + 1) / 2
        let kv = Double(config.layerCount * 2 * config.kvHeadCount * config.headDim * kvCache.elementBytes) * cachedRows
        return Double(Self.weightBytes(model) + Self.biasBytes(model) + norms + embeddingRow) + kv
    }
}

extension LlamaDecoderLayer {
    /// The seven projections: q, k, v, o, gate, up, down.
    var projections: [Linear] { [qProj, kProj, vProj, oProj, gateProj, upProj, downProj] }
}
