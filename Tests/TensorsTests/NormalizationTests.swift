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

    /// Rows: random, mean 50 (a one-pass variance would lose digits), ×1e-3, constant.
    @Test(arguments: [("1e-5", Float(1e-5)), ("1e-6", Float(1e-6))])
    func layerNormMatchesTorch(tag: String, eps: Float) throws {
        let y = Normalization.layerNorm(try tensor(layer, "x"), weight: try tensor(layer, "w"), bias: try tensor(layer, "b"), eps: eps)
        expectClose(y, try tensor(layer, "y_eps\(tag)"), relative: Self.relative, absolute: Self.absolute, "layerNorm eps \(tag)")
    }
}
