import Testing
import Tensors
import TestSupport

/// `GEMM.linear` and `GEMM.matmul` against torch (`ops/linear.safetensors`, `ops/matmul.safetensors`,
/// written by make_ops_fixtures.py). Tolerance: 1e-5 relative + 1e-6 absolute (f32 sums of ≤ 33
/// products; BLAS and torch may order them differently). The 16-bit weights are widened by the C
/// conversion kernels, so those tests run on both kernel paths.
@Suite struct GEMMTests {
    static let relative: Float = 1e-5, absolute: Float = 1e-6
    let linear: [String: Tensor]
    let matmul: [String: Tensor]

    init() throws {
        linear = try Fixtures.tensors("ops/linear.safetensors")
        matmul = try Fixtures.tensors("ops/matmul.safetensors")
    }

    @Test(arguments: [("w", "y_bias", true), ("w", "y_nobias", false),
                      ("w_f16", "y_f16_bias", true), ("w_f16", "y_f16_nobias", false),
                      ("w_bf16", "y_bf16_bias", true), ("w_bf16", "y_bf16_nobias", false)], KernelPath.allCases)
    func linearMatchesTorch(names: (weight: String, expected: String, withBias: Bool), path: KernelPath) throws {
        let (weight, expected, withBias) = names
        let w = try tensor(linear, weight), x = try tensor(linear, "x")
        let b = withBias ? try tensor(linear, "b") : nil
        let y = path.run { GEMM.linear(x, weight: w, bias: b) }
        expectClose(y, try tensor(linear, expected), relative: Self.relative, absolute: Self.absolute, "\(weight) → \(expected)")
    }

    @Test func fixtureWeightsKeepTheirStorageDType() throws {
        #expect(try tensor(linear, "w_f16").dtype == .f16)
        #expect(try tensor(linear, "w_bf16").dtype == .bf16)
        #expect(try tensor(linear, "wt_bf16").shape == [1100, 8])
    }

    @Test func linearOverLeadingDimensions() throws {
        let y = GEMM.linear(try tensor(linear, "x3"), weight: try tensor(linear, "w"), bias: try tensor(linear, "b"))
        #expect(y.shape == [2, 2, 4])
        expectClose(y, try tensor(linear, "y3_bias"), relative: Self.relative, absolute: Self.absolute, "3-D input")
    }

    /// 1100 output rows > `GEMM.weightTileRows` (1024): 16-bit weights are converted in two tiles.
    @Test(arguments: [("wt", "yt"), ("wt_f16", "yt_f16"), ("wt_bf16", "yt_bf16")], KernelPath.allCases)
    func linearConvertsSixteenBitWeightsInTiles(names: (weight: String, expected: String), path: KernelPath) throws {
        let (weight, expected) = names
        #expect(GEMM.weightTileRows < 1100)
        let x = try tensor(linear, "xt"), w = try tensor(linear, weight), b = try tensor(linear, "bt")
        let y = path.run { GEMM.linear(x, weight: w, bias: b) }
        expectClose(y, try tensor(linear, expected), relative: Self.relative, absolute: Self.absolute, weight)
    }

    /// An F32 weight whose bytes are not 4-byte aligned (safetensors never promises alignment).
    @Test func linearReadsUnalignedF32Weights() throws {
        let w = try tensor(linear, "w")
        let holder = TensorStorage(zeroedByteCount: w.rawBytes.count + 2)
        (holder.base + 2).copyMemory(from: w.rawBytes.baseAddress!, byteCount: w.rawBytes.count)
        let view = Tensor(viewing: holder.base + 2, byteCount: w.rawBytes.count, dtype: .f32, shape: w.shape, owner: holder)
        #expect(!view.isDirectFloat)
        #expect(view.floats == w.floats)
        let y = GEMM.linear(try tensor(linear, "x"), weight: view, bias: try tensor(linear, "b"))
        expectClose(y, try tensor(linear, "y_bias"), relative: Self.relative, absolute: Self.absolute, "unaligned")
    }

    @Test func linearWithNoRowsOrNoInputs() throws {
        let w = try tensor(linear, "w"), b = try tensor(linear, "b")
        let none = GEMM.linear(Tensor(zeros: [0, 5]), weight: w, bias: b)
        #expect(none.shape == [0, 4])
        // in = 0: the product is empty, so y is the bias (or zeros).
        let y = GEMM.linear(Tensor(zeros: [2, 0]), weight: Tensor(zeros: [3, 0]), bias: Tensor(shape: [3], values: [1, 2, 3]))
        #expect(y.shape == [2, 3])
        #expect(y.floats == [1, 2, 3, 1, 2, 3])
        let z = GEMM.linear(Tensor(zeros: [2, 0]), weight: Tensor(zeros: [3, 0]))
        #expect(z.floats == [Float](repeating: 0, count: 6))
    }

    @Test(arguments: [("a", "b", false, false), ("a_t", "b", true, false), ("a", "b_t", false, true), ("a_t", "b_t", true, true)])
    func matmulWithTransposes(a: String, b: String, transposeA: Bool, transposeB: Bool) throws {
        let y = GEMM.matmul(try tensor(matmul, a), try tensor(matmul, b), transposeA: transposeA, transposeB: transposeB)
        expectClose(y, try tensor(matmul, "ab"), relative: Self.relative, absolute: Self.absolute, "\(a)·\(b)")
    }

    @Test func matmulRectangular() throws {
        let y = GEMM.matmul(try tensor(matmul, "c"), try tensor(matmul, "d"), transposeB: true)
        #expect(y.shape == [7, 2])
        expectClose(y, try tensor(matmul, "c_dT"), relative: Self.relative, absolute: Self.absolute, "c·dᵀ")
    }

    /// `sgemm` on sub-matrices through leading dimensions (per-head slices of a [tokens, heads·d] matrix).
    @Test func sgemmOnStridedSlices() {
        // A = [[1,2 | 9,9], [3,4 | 9,9]]: multiply the left 2×2 block by I and accumulate into C with beta 1.
        let a: [Float] = [1, 2, 9, 9, 3, 4, 9, 9]
        let identity: [Float] = [1, 0, 0, 1]
        var c: [Float] = [10, 20, 30, 40]
        a.withUnsafeBufferPointer { pa in
            identity.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    GEMM.sgemm(m: 2, n: 2, k: 2, alpha: 2, a: pa.baseAddress!, lda: 4, b: pb.baseAddress!, ldb: 2,
                               beta: 1, c: pc.baseAddress!, ldc: 2)
                }
            }
        }
        #expect(c == [12, 24, 36, 48])
    }
}
