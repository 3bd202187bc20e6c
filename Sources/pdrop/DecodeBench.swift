import CBLAS
import Foundation
import PyramidDrop
import Tensors
import Transformer

/// Decode timing for `pdrop bench`. Each model is prefilled once, then its decode steps are timed
/// one at a time, interleaved with rounds of raw `cblas_sgemv` over the model's own decode shapes
/// (the yardstick), so that both see the same memory bandwidth on a machine where it drifts. A
/// pause follows every yardstick round: OpenBLAS's threads spin for a while after a call, and
/// would otherwise compete with the next timed step (which never calls OpenBLAS).
struct DecodeBench {
    /// Models of the same shape to time side by side (for example bf16 weights and an f32 copy).
    let models: [LlamaModel]
    let prompt: TokenState
    let steps: Int
    let kvCache: KVCacheFormat

    struct Result {
        /// Milliseconds per token, per model.
        let msPerToken: [Statistics]
        /// Weight bytes one decode step reads, per model (every layer's matrices and the LM head).
        let weightBytes: [Int]
        /// Bytes per second of raw sgemv over f32 matrices of the model's decode shapes.
        let sgemvGBps: Statistics

        /// Decode time over the time to read model `index`'s weights at the sgemv bandwidth.
        func boundRatio(_ index: Int) -> Double {
            msPerToken[index].median / (Double(weightBytes[index]) / sgemvGBps.median / 1e6)
        }

        /// How many times faster per token model `index` decodes than model `other`.
        func speedup(_ index: Int, over other: Int) -> Double { msPerToken[other].median / msPerToken[index].median }

        /// Weight bytes per second while decoding with model `index`.
        func weightGBps(_ index: Int) -> Double { Double(weightBytes[index]) / msPerToken[index].median / 1e6 }
    }

    func run() throws -> Result {
        let wrappers = try models.map { try PyramidWrapper(model: $0, policy: KeepAllPolicy()) }
        var caches = wrappers.map { $0.makeCaches(kvCache.makeStore) }
        var logits = models.indices.map { i in
            let (state, _) = wrappers[i].prefill(prompt, caches: &caches[i])
            return models[i].logits(state.hidden.gatherRows([state.count - 1])).floats
        }
        let yardstick = SGEMVYardstick(config: models[0].config, vocabulary: models[0].vocabularySize)
        var times = Array(repeating: [Double](), count: models.count), bandwidths: [Double] = []
        for _ in 0..<steps {
            for i in models.indices {
                let next = logits[i].withUnsafeBufferPointer { Sampler.argmax($0) }
                let start = Date()
                logits[i] = models[i].logits(wrappers[i].decode(try models[i].embed([next]), caches: &caches[i])).floats
                times[i].append(Date().timeIntervalSince(start) * 1000)
            }
            bandwidths.append(yardstick.measureGBps())
            Thread.sleep(forTimeInterval: 0.15)
        }
        let weightBytes = models.map { model in
            model.layers.reduce(model.lmHead.rawBytes.count) { total, layer in
                total + [layer.qProj, layer.kProj, layer.vProj, layer.oProj, layer.gateProj, layer.upProj, layer.downProj]
                    .reduce(0) { $0 + $1.weight.rawBytes.count }
            }
        }
        return Result(msPerToken: times.map(Statistics.init), weightBytes: weightBytes, sgemvGBps: Statistics(bandwidths))
    }
}

/// Raw `cblas_sgemv` over f32 matrices of one layer's decode shapes and the LM head's, each read
/// once per round from a buffer larger than the last-level cache.
struct SGEMVYardstick {
    private let shapes: [(rows: Int, columns: Int)]
    private let matrix: [Float]
    private let x: [Float]

    init(config: LlamaConfig, vocabulary: Int) {
        shapes = config.layerMatrixShapes + [(vocabulary, config.hiddenSize)]
        matrix = [Float](repeating: 0.001, count: shapes.map { $0.rows * $0.columns }.max()!)
        x = [Float](repeating: 1, count: shapes.map(\.columns).max()!)
    }

    /// Bytes per second of one round.
    func measureGBps() -> Double {
        var y = [Float](repeating: 0, count: shapes.map(\.rows).max()!)
        let start = Date()
        for (rows, columns) in shapes {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(rows), Int32(columns), 1, matrix, Int32(columns), x, 1, 0, &y, 1)
        }
        let bytes = shapes.reduce(0) { $0 + 4 * $1.rows * $1.columns }
        return Double(bytes) / Date().timeIntervalSince(start) / 1e9
    }
}
