import CBLAS
import Foundation
import Transformer

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
