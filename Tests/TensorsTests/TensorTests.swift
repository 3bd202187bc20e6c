import Testing
import Tensors
import TestSupport

/// `Tensor` basics: value semantics, views, reshaping, integer tensors, dtype conversion.
@Suite struct TensorTests {
    @Test func valueSemantics() {
        let a = Tensor(shape: [2, 2], values: [1, 2, 3, 4])
        var b = a
        b.withMutableFloats { $0[0] = 10 }
        #expect(a.floats == [1, 2, 3, 4])
        #expect(b.floats == [10, 2, 3, 4])
        #expect(a.count == 4 && a.rank == 2 && a.dtype == .f32)
    }

    @Test func constructors() {
        #expect(Tensor(zeros: [2, 3]).floats == [Float](repeating: 0, count: 6))
        #expect(Tensor(shape: [3], repeating: 2.5).floats == [2.5, 2.5, 2.5])
        #expect(Tensor(zeros: []).count == 1, "a 0-dim tensor holds one element")
        #expect(Tensor(zeros: [0, 7]).count == 0)
        #expect(Tensor(shape: [0, 3], values: []).shape == [0, 3])
        #expect(Tensor(shape: [], values: [7]).floats == [7])
    }

    @Test func reshapedSharesElements() {
        let a = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let b = a.reshaped([3, 2])
        #expect(b.shape == [3, 2] && b.floats == a.floats)
        #expect(a.reshaped([6]).floats == a.floats)
    }

    @Test func viewsAreReadOnlyAndCopiedOnWrite() {
        let holder = TensorStorage(zeroedByteCount: 8)
        holder.base.storeBytes(of: Float(1), toByteOffset: 0, as: Float.self)
        holder.base.storeBytes(of: Float(2), toByteOffset: 4, as: Float.self)
        let view = Tensor(viewing: holder.base, byteCount: 8, dtype: .f32, shape: [2], owner: holder)
        var copy = view
        copy.withMutableFloats { $0[1] = 5 }
        #expect(view.floats == [1, 2])
        #expect(copy.floats == [1, 5])
        #expect(holder.base.load(fromByteOffset: 4, as: Float.self) == 2)
    }

    @Test func integerTensors() {
        let i64 = Tensor(shape: [3], integers: [-1, 0, Int.max])
        #expect(i64.dtype == .i64 && i64.integers == [-1, 0, Int.max])
        #expect(i64.rawBytes.count == 24)
        let i32 = Tensor(shape: [2], integers: [-7, 1 << 20], dtype: .i32)
        #expect(i32.integers == [-7, 1 << 20] && i32.rawBytes.count == 8)
    }

    @Test(arguments: [DType.f16, .bf16, .f32])
    func convertedRoundTrips(dtype: DType) {
        let values: [Float] = [0, -0.0, 1, -2, 0.5, 1024, -0.25]   // exact in every format
        let t = Tensor(shape: [7], values: values).converted(to: dtype)
        #expect(t.dtype == dtype)
        #expect(t.rawBytes.count == 7 * dtype.bitWidth / 8)
        #expect(t.floats == values)
        #expect(t.toFloat32().dtype == .f32 && t.toFloat32().floats == values)
        #expect(t.converted(to: .f32).floats == values)
    }

    @Test func dtypeSizes() {
        #expect(DType.bf16.byteCount(elements: 3) == 6)
        #expect(DType.f4.byteCount(elements: 3) == nil, "1.5 bytes")
        #expect(DType.f6e2m3.byteCount(elements: 4) == 3)
        #expect(DType.i64.byteCount(elements: Int.max / 4) == nil, "overflow")
        #expect(DType(rawValue: "BF16") == .bf16 && DType(rawValue: "bf16") == nil)
        #expect(DType.allCases.filter(\.isSafetensorsType).count == 20)
        #expect(DType.allCases.filter { $0.isFloatReadable && !$0.isBlockQuantized } == [.f16, .bf16, .f32])
        #expect(DType.q4_0.byteCount(elements: 64) == 36 && DType.q8_0x8.byteCount(elements: 32) == 34)
        #expect(DType.q4_k.byteCount(elements: 512) == 288 && DType.q6_k.byteCount(elements: 256) == 210)
        #expect(DType.q4_0.byteCount(elements: 48) == nil, "not whole blocks")
        #expect(DType.allCases.filter(\.isBlockQuantized).map(\.ggmlType) == [8, 2, 12, 14, 8, 2])
    }
}
