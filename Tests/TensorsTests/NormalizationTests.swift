import Testing
import Tensors
import TestSupport

/// RMSNorm (transformers' LlamaRMSNorm) and LayerNorm (torch.nn.functional.layer_norm) against
/// `ops/rmsnorm.safetensors` / `ops/layernorm.safetensors`. Tolerance: 1e-5 relative + 1e-6 absolute.
@Suite struct NormalizationTests {
    static let relative: Float = 1e-5, absolute: Float = 1e-6
    let rms: [String: Tensor]
    let layer: [String: Tensor]

    init() throws {
        rms = try Fixtures.tensors("ops/rmsnorm.safetensors")
        layer = try Fixtures.tensors("ops/layernorm.safetensors")
    }

    /// Rows: random, ×100, ×1e-3 (eps matters), all zeros (output 0), mean 40.
    @Test(arguments: [("1e-6", Float(1e-6)), ("1e-5", Float(1e-5))])
    func rmsNormMatchesLlamaRMSNorm(tag: String, eps: Float) throws {
        let w = try tensor(rms, "w")
        let y = Normalization.rmsNorm(try tensor(rms, "x"), weight: w, eps: eps)
        expectClose(y, try tensor(rms, "y_eps\(tag)"), relative: Self.relative, absolute: Self.absolute, "rmsNorm eps \(tag)")
        let y3 = Normalization.rmsNorm(try tensor(rms, "x3"), weight: w, eps: eps)
        expectClose(y3, try tensor(rms, "y3_eps\(tag)"), relative: Self.relative, absolute: Self.absolute, "rmsNorm 3-D eps \(tag)")
    }

    @Test func rmsNormWithBF16Weight() throws {
        // A bf16 weight is read through a converted copy: the result equals the f32 weight's
        // result for the same rounded values.
        let w = try tensor(rms, "w")
        let wBF16 = w.converted(to: .bf16)
        let rounded = wBF16.toFloat32()
        let a = Normalization.rmsNorm(try tensor(rms, "x"), weight: wBF16, eps: 1e-6)
        let b = Normalization.rmsNorm(try tensor(rms, "x"), weight: rounded, eps: 1e-6)
        #expect(a.floats == b.floats)
    }

    /// Widths with and without a tail past the 16-lane sums (a 7B's 4096, CLIP's 1024), against
    /// the definitions in float64.
    @Test(arguments: [1, 7, 17, 33, 1000, 1024, 4099])
    func normsAtEveryWidthMatchFloat64(width: Int) {
        var generator = SplitMix64(seed: UInt64(width))
        let rows = 3
        let values = (0..<(rows * width)).map { i in Float.random(in: -2..<2, using: &generator) + (i / width == 1 ? 50 : 0) }
        let w = (0..<width).map { _ in Float.random(in: 0.5..<1.5, using: &generator) }, b = (0..<width).map { _ in Float.random(in: -0.5..<0.5, using: &generator) }
        let x = Tensor(shape: [rows, width], values: values)
        let rms = Normalization.rmsNorm(x, weight: Tensor(shape: [width], values: w), eps: 1e-6).floats
        let layer = Normalization.layerNorm(x, weight: Tensor(shape: [width], values: w), bias: Tensor(shape: [width], values: b), eps: 1e-5).floats
        for r in 0..<rows {
            let row = values[(r * width)..<((r + 1) * width)].map(Double.init)
            let meanSquare = row.reduce(0) { $0 + $1 * $1 } / Double(width)
            let mean = row.reduce(0, +) / Double(width)
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(width)
            for i in 0..<width {
                let expectedRMS = Double(w[i]) * row[i] / (meanSquare + 1e-6).squareRoot()
                let expectedLayer = (row[i] - mean) / (variance + 1e-5).squareRoot() * Double(w[i]) + Double(b[i])
                #expect(abs(Double(rms[r * width + i]) - expectedRMS) <= 1e-5 * abs(expectedRMS) + 1e-5, "rms width \(width) [\(r), \(i)]")
                #expect(abs(Double(layer[r * width + i]) - expectedLayer) <= 1e-5 * abs(expectedLayer) + 1e-5, "layer width \(width) [\(r), \(i)]")
            }
        }
    }

    /// Rows: random, mean 50 (a one-pass variance would lose digits), ×1e-3, constant.
    @Test(arguments: [("1e-5", Float(1e-5)), ("1e-6", Float(1e-6))])
    func layerNormMatchesTorch(tag: String, eps: Float) throws {
        let y = Normalization.layerNorm(try tensor(layer, "x"), weight: try tensor(layer, "w"), bias: try tensor(layer, "b"), eps: eps)
        expectClose(y, try tensor(layer, "y_eps\(tag)"), relative: Self.relative, absolute: Self.absolute, "layerNorm eps \(tag)")
    }
}
