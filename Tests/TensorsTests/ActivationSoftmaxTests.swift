import Foundation
import Testing
import Tensors
import TestSupport

/// Activations (transformers' ACT2FN) and softmax (torch.softmax) against `ops/activations.safetensors`
/// and `ops/softmax.safetensors`. SiLU and softmax are C kernels: their tests run on both paths.
@Suite struct ActivationSoftmaxTests {
    let activations: [String: Tensor]
    let softmax: [String: Tensor]

    init() throws {
        activations = try Fixtures.tensors("ops/activations.safetensors")
        softmax = try Fixtures.tensors("ops/softmax.safetensors")
    }

    /// x covers [-12, 12] and extremes (±100, ±88.5, ±0, 1e-30, 3e38). Tolerance: 1e-5 relative +
    /// 1e-7 absolute for silu and quick_gelu (exp of f32 may differ by an ulp between libm and
    /// torch's kernels); 1e-5 relative + 1e-6 absolute for gelu: in its negative tail
    /// `1 + erf(x/√2)` cancels, so an ulp of difference between two f32 erf implementations becomes
    /// ~3e-4 relative (at x = -3.75 torch's own value is 3e-4 away from the exact one); the same for
    /// gelu_pytorch_tanh, whose `1 + tanh(…)` cancels there too.
    @Test(arguments: [(Activation.silu, "silu", Float(1e-7)), (.gelu, "gelu", 1e-6), (.quickGELU, "quick_gelu", 1e-7),
                      (.geluTanh, "gelu_pytorch_tanh", 1e-6)],
          KernelPath.allCases)
    func activationMatchesTransformers(activation: (Activation, String, Float), path: KernelPath) throws {
        let (activation, name, absolute) = activation
        var x = try tensor(activations, "x")
        path.run { activation.apply(&x) }
        expectClose(x, try tensor(activations, name), relative: 1e-5, absolute: absolute, name)
    }

    @Test func activationNamesFromConfigs() {
        #expect(Activation(huggingFaceName: "silu") == .silu)
        #expect(Activation(huggingFaceName: "swish") == .silu)
        #expect(Activation(huggingFaceName: "gelu") == .gelu)
        #expect(Activation(huggingFaceName: "quick_gelu") == .quickGELU)
        #expect(Activation(huggingFaceName: "gelu_pytorch_tanh") == .geluTanh)
        #expect(Activation(huggingFaceName: "gelu_new") == nil)
    }

    @Test func applyLeavesTheSourceOfACopyUntouched() throws {
        let x = Tensor(shape: [3], values: [-1, 0, 1])
        var y = x
        Activation.silu.apply(&y)
        #expect(x.floats == [-1, 0, 1])
        #expect(y.floats[1] == 0)
    }

    /// Rows: random; ×1000 spread; +1e4 offset; ±3e38; some -inf; one finite value; uniform; very
    /// negative values that underflow. Tolerance: 1e-5 relative + 1e-7 absolute.
    @Test(arguments: KernelPath.allCases)
    func softmaxMatchesTorch(path: KernelPath) throws {
        let x = try tensor(softmax, "x")
        let y = path.run { Softmax.lastDimension(x) }
        expectClose(y, try tensor(softmax, "y"), relative: 1e-5, absolute: 1e-7, "softmax")
        for row in 0..<x.shape[0] {
            let sum = y.floats[(row * 10)..<(row * 10 + 10)].reduce(0, +)
            #expect(abs(sum - 1) < 1e-6, "row \(row) sums to \(sum)")
        }
        #expect(x.floats != y.floats, "softmax returns a new tensor and leaves its input alone")
        let x3 = try tensor(softmax, "x3")
        expectClose(path.run { Softmax.lastDimension(x3) }, try tensor(softmax, "y3"),
                    relative: 1e-5, absolute: 1e-7, "softmax 3-D")
    }

    /// A fully masked row (all -inf) becomes zeros by design, where torch gives NaN.
    @Test(arguments: KernelPath.allCases)
    func fullyMaskedRowIsZeros(path: KernelPath) {
        let x = Tensor(shape: [2, 3], values: [-.infinity, -.infinity, -.infinity, 0, 0, -.infinity])
        let y = path.run { Softmax.lastDimension(x) }
        #expect(y.floats == [0, 0, 0, 0.5, 0.5, 0])
    }

    @Test(arguments: KernelPath.allCases)
    func softmaxInPlaceOnARawRow(path: KernelPath) {
        var row: [Float] = [1, 2, 3]
        path.run { row.withUnsafeMutableBufferPointer { Softmax.inPlace($0.baseAddress!, count: 3) } }
        let e: [Float] = [1, 2, 3].map { Float(exp(Double($0) - 3)) }
        let sum = e.reduce(0, +)
        expectClose(row, e.map { $0 / sum }, relative: 1e-6, "inPlace")
        var empty: [Float] = []
        empty.withUnsafeMutableBufferPointer { Softmax.inPlace($0.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!, count: 0) }
    }
}
