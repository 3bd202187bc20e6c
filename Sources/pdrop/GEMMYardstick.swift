import Foundation
import Tensors
import Transformer

/// One product a model runs: `rows × inner` activations times an `[out, inner]` weight (PyTorch
/// layout, used transposed), `count` times per forward pass.
struct GEMMShape {
    let rows: Int, out: Int, inner: Int
    var count = 1

    /// FLOPs of one product (a multiply-add is two).
    var flops: Double { 2 * Double(rows) * Double(out) * Double(inner) }
}

/// Raw GEMM speed at a model's own shapes, the yardstick its prefill is measured against: the
/// library call alone, on the layout `GEMM.linear` uses (`A` rows × in, `B` the `[out, in]`
/// weight as `transB`, `C` f32), without anything the model does around it.
///
/// It is measured in rounds, one timed call per shape each, keeping each shape's best time: the
/// rounds are spread through a run (between the model's timed passes) so that the yardstick sees
/// the machine the model saw, on a VM whose speed drifts.
final class GEMMYardstick {
    /// Which library call.
    enum Kind {
        /// `cblas_sgemm` over f32 operands (the f32 path's kernel).
        case sgemm
        /// oneDNN's bf16 × bf16 → f32 matmul (the bf16 path's kernel); needs `OneDNNMatmul.isNative`.
        case oneDNNBF16

        /// How reports name it.
        var name: String {
            switch self {
            case .sgemm: return "openblas sgemm"
            case .oneDNNBF16: return "onednn bf16 gemm"
            }
        }
    }

    let kind: Kind
    let shapes: [GEMMShape]
    private(set) var rounds = 0
    private var best: [Double]
    private let call: (GEMMShape) -> Void

    /// Operands for every shape (one weight buffer, as large as the largest), and one untimed
    /// call per shape (which creates oneDNN's primitive and wakes the library's threads).
    init(_ kind: Kind, shapes: [GEMMShape]) {
        self.kind = kind
        self.shapes = shapes
        best = Array(repeating: .infinity, count: shapes.count)
        let rows = shapes.map(\.rows).max()!, inner = shapes.map(\.inner).max()!, out = shapes.map(\.out).max()!
        let weight = shapes.map { $0.out * $0.inner }.max()!
        let c = UnsafeMutablePointer<Float>.allocate(capacity: rows * out)
        c.initialize(repeating: 0, count: rows * out)
        let output = Owned(c)
        switch kind {
        case .sgemm:
            let a = [Float](repeating: 0.01, count: rows * inner), b = [Float](repeating: 0.02, count: weight)
            call = { s in
                GEMM.sgemm(transB: true, m: s.rows, n: s.out, k: s.inner, a: a, lda: s.inner, b: b, ldb: s.inner,
                           c: output.pointer, ldc: s.out)
            }
        case .oneDNNBF16:
            let a = [UInt16](repeating: 0x3C24, count: rows * inner), b = [UInt16](repeating: 0x3CA4, count: weight)  // 0.01, 0.02
            call = { s in
                OneDNNMatmul.multiply(m: s.rows, n: s.out, k: s.inner, a: a, lda: s.inner, b: b, ldb: s.inner, transB: true,
                                      c: output.pointer, ldc: s.out)
            }
        }
        shapes.forEach(call)
    }

    /// Times one call per shape, keeping each shape's best.
    func round() {
        for (i, shape) in shapes.enumerated() {
            let start = DispatchTime.now().uptimeNanoseconds
            call(shape)
            best[i] = min(best[i], Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        rounds += 1
    }

    /// GFLOP/s over the shapes so far: their FLOPs (times their counts) over their best times
    /// (times their counts).
    var gflops: Double {
        let seconds = zip(shapes, best).reduce(0.0) { $0 + Double($1.0.count) * $1.1 }
        return shapes.reduce(0.0) { $0 + Double($1.count) * $1.flops } / seconds / 1e9
    }

    /// The output buffer, freed with the yardstick.
    private final class Owned: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<Float>
        init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
        deinit { pointer.deallocate() }
    }
}

extension LlamaConfig {
    /// One decoder layer's products for a prompt of `rows` tokens: q, k, v, o, gate, up, down.
    func layerGEMMShapes(rows: Int) -> [GEMMShape] {
        layerMatrixShapes.map { GEMMShape(rows: rows, out: $0.rows, inner: $0.columns) }
    }
}
