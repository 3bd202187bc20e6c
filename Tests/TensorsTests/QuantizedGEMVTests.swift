import CKernels
import Foundation
import Tensors
import TestSupport
import Testing

/// The quantized weights: our Q8_0/Q4_0 quantizers against the gguf package's bytes, and the int8
/// GEMVs (ggml layout and the x8 GEMV layout) on every kernel level against double precision over
/// the same dequantized weights and the same quantized input, at shapes whose rows are not a whole
/// number of 8-row groups and whose products split over the workers (≥ 2¹⁸ weights).
@Suite struct QuantizedGEMVTests {
    /// `pd_quantize_q8_0` / `pd_quantize_q4_0` give exactly the bytes of `gguf.quants.quantize`
    /// (Tests/Fixtures/gguf/make_quant_fixtures.py), edge rows included (zeros, ties of the largest
    /// magnitude, halves, subnormal and large scales).
    @Test(arguments: [DType.q8_0, .q4_0])
    func quantizerMatchesGGUFPackage(dtype: DType) throws {
        let data = try Data(contentsOf: Fixtures.url("gguf/quant.json"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let shape = try #require(object["shape"] as? [Int])
        let values = try #require(object["values"] as? [Double]).map(Float.init)
        let expected = try #require(object[dtype.rawValue.lowercased()] as? String)
        let quantized = Tensor(shape: shape, values: values).quantized(to: dtype)
        let hex = quantized.rawBytes.map { String(format: "%02x", $0) }.joined()
        #expect(hex == expected)
    }

    /// (rows, columns) of the GEMV cases: 37 rows (four whole groups and a tail of 5) and a split
    /// over the workers at 7B's 4,096 columns.
    static let shapes = [(37, 512), (72, 4096)]

    /// Every row of `GEMM.linear` with one input row is within 2e-6 · Σ|w·x| of the double sum over
    /// the dequantized weight and the dequantized int8 input: integer block sums are exact, so only
    /// the order of the float additions may differ, while one element dropped or paired with the
    /// wrong input would move a sum by ~Σ|w·x| / columns (≥ 2e-4 · Σ|w·x| here).
    @Test(arguments: [DType.q8_0, .q4_0, .q4_k, .q6_k], KernelPath.allCases)
    func gemvMatchesDoublePrecision(dtype: DType, path: KernelPath) {
        for (rows, cols) in Self.shapes {
            let weight = Self.matrix(dtype, rows: rows, cols: cols)
            let layouts = dtype == .q8_0 || dtype == .q4_0 ? [weight, weight.interleavedForGEMV()] : [weight]
            let x = Self.vector(cols, seed: 5)
            let dequantizedX = Self.roundTrip(x, against: dtype)
            let w = weight.floats
            for layout in layouts {
                let y = path.run { GEMM.linear(Tensor(shape: [1, cols], values: x), weight: layout).floats }
                for r in 0..<rows {
                    let terms = (0..<cols).map { Double(w[r * cols + $0]) * Double(dequantizedX[$0]) }
                    let error = abs(Double(y[r]) - terms.reduce(0, +)), scale = terms.reduce(0) { $0 + abs($1) }
                    #expect(error <= 2e-6 * scale, "\(layout.dtype) \(rows)x\(cols) row \(r) at \(path): |Δ| \(error) > \(2e-6 * scale)")
                }
            }
        }
    }

    /// The x8 layout holds the same matrix: its rows dequantize to exactly the ggml layout's, for
    /// ranges inside a group, across groups (whole groups take the vector code) and in the tail,
    /// at every kernel level.
    @Test(arguments: [DType.q8_0, .q4_0], KernelPath.allCases)
    func interleavedLayoutDequantizesExactly(dtype: DType, path: KernelPath) {
        let weight = Self.matrix(dtype, rows: 37, cols: 96), packed = weight.interleavedForGEMV()
        #expect(packed.dtype == (dtype == .q8_0 ? .q8_0x8 : .q4_0x8) && packed.rawBytes.count == weight.rawBytes.count)
        path.run { #expect(packed.floats == weight.floats) }
        for range in [3..<5, 6..<19, 8..<32, 30..<37, 0..<37] {
            var a = [Float](repeating: 0, count: range.count * 96), b = a
            weight.dequantizeRows(range, into: &a)
            path.run { packed.dequantizeRows(range, into: &b) }
            #expect(a == b, "rows \(range) at \(path)")
        }
    }

    /// Several input rows in one decode step (`rowwiseLinear`) give bit for bit each row's own
    /// product, on both layouts.
    @Test(arguments: [DType.q8_0, .q4_0, .q4_k, .q6_k])
    func batchedRowsMatchSingleRows(dtype: DType) {
        let (rows, cols) = (72, 4096)
        let weight = Self.matrix(dtype, rows: rows, cols: cols)
        for layout in [weight, weight.interleavedForGEMV()] {
            let xs = (0..<3).map { Self.vector(cols, seed: 11 + UInt64($0)) }
            let batched = GEMM.rowwiseLinear(Tensor(shape: [3, cols], values: xs.flatMap { $0 }), weight: layout).floats
            for (i, x) in xs.enumerated() {
                let single = GEMM.linear(Tensor(shape: [1, cols], values: x), weight: layout).floats
                #expect(Array(batched[(i * rows)..<((i + 1) * rows)]) == single, "\(layout.dtype) row \(i)")
            }
        }
    }

    /// Prefill (several rows) over a quantized weight is the f32 product with the dequantized
    /// weight (tiles dequantized, no int8 input): within 1e-5 relative of sgemm on `floats`, bias
    /// and activation included; on the bf16 path within bf16 rounding (2e-2 relative).
    @Test(arguments: [DType.q8_0, .q4_0, .q4_k])
    func prefillMatchesDequantizedProduct(dtype: DType) {
        let (rows, cols, tokens) = (40, 512, 5)
        let weight = Self.matrix(dtype, rows: rows, cols: cols).interleavedForGEMV()
        let x = Tensor(shape: [tokens, cols], values: Self.vector(tokens * cols, seed: 3))
        let bias = Tensor(shape: [rows], values: Self.vector(rows, seed: 4))
        let reference = GEMM.linear(x, weight: Tensor(shape: [rows, cols], values: weight.floats), bias: bias, activation: .silu).floats
        var paths: [(ComputePath, Float)] = [(.f32, 1e-5)]
        if OneDNNMatmul.isNative { paths.append((.bf16, 2e-2)) }
        for (compute, tolerance) in paths {
            let y = GEMM.linear(x, weight: weight, bias: bias, activation: .silu, compute: compute).floats
            let scale = reference.map(abs).max()!
            let error = zip(y, reference).map { abs($0 - $1) }.max()!
            #expect(error <= tolerance * scale, "\(dtype) \(compute): max |Δ| \(error) > \(tolerance * scale)")
        }
    }

    /// On the bf16 path a weight of 7B's width is taken in several slices of rows, each dequantized
    /// on its worker and multiplied there (the last one short): the result is the product with the
    /// bf16-rounded dequantized weight as one matrix, within 1e-5 relative (summation order only).
    @Test(arguments: [DType.q8_0, .q4_0])
    func bf16PrefillOverSlicesMatchesOneProduct(dtype: DType) throws {
        try #require(OneDNNMatmul.isNative, "needs native bf16 units")
        let (cols, tokens) = (4096, 3)
        let rows = 2 * GEMM.bf16SliceRows(inFeatures: cols) + 24
        let weight = Self.matrix(dtype, rows: rows, cols: cols).interleavedForGEMV()
        let x = Tensor(shape: [tokens, cols], values: Self.vector(tokens * cols, seed: 8))
        let bias = Tensor(shape: [rows], values: Self.vector(rows, seed: 9))
        let rounded = Tensor(shape: [rows, cols], values: weight.floats).converted(to: .bf16)
        let reference = GEMM.linear(x, weight: rounded, bias: bias, activation: .silu, compute: .bf16).floats
        let y = GEMM.linear(x, weight: weight, bias: bias, activation: .silu, compute: .bf16).floats
        let scale = reference.map(abs).max()!, error = zip(y, reference).map { abs($0 - $1) }.max()!
        #expect(error <= 1e-5 * scale, "\(dtype) \(rows) rows: max |Δ| \(error) > \(1e-5 * scale)")
    }

    /// A decode step's product with int8 input stays close to the f32 product over the same
    /// dequantized weight: the stated cost of quantizing the input (≤ 1 % of Σ|w·x| per row).
    @Test(arguments: [DType.q8_0, .q4_0, .q4_k, .q6_k])
    func inputQuantizationErrorIsBounded(dtype: DType) {
        let (rows, cols) = (37, 512)
        let weight = Self.matrix(dtype, rows: rows, cols: cols)
        let x = Self.vector(cols, seed: 8), w = weight.floats
        let y = GEMM.linear(Tensor(shape: [1, cols], values: x), weight: weight).floats
        for r in 0..<rows {
            let terms = (0..<cols).map { Double(w[r * cols + $0]) * Double(x[$0]) }
            let error = abs(Double(y[r]) - terms.reduce(0, +)), scale = terms.reduce(0) { $0 + abs($1) }
            #expect(error <= 0.01 * scale, "\(dtype) row \(r): |Δ| \(error) > \(0.01 * scale)")
        }
    }

    // MARK: - data

    /// Uniform values in ±1 from `seed`.
    static func vector(_ count: Int, seed: UInt64) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in Float(generator.next() >> 40) / Float(1 << 23) - 1 }
    }

    /// A `[rows, cols]` matrix of `dtype`: Q8_0/Q4_0 quantized from random values by our quantizer;
    /// Q4_K/Q6_K random blocks with their half scales set to small finite values.
    static func matrix(_ dtype: DType, rows: Int, cols: Int) -> Tensor {
        if dtype == .q8_0 || dtype == .q4_0 {
            return Tensor(shape: [rows, cols], values: vector(rows * cols, seed: 1)).quantized(to: dtype)
        }
        let blockBytes = dtype == .q4_k ? 144 : 210
        let byteCount = dtype.byteCount(elements: rows * cols)!
        var generator = SplitMix64(seed: 2)
        var bytes = (0..<byteCount).map { _ in UInt8(truncatingIfNeeded: generator.next() >> 32) }
        for block in 0..<(byteCount / blockBytes) {
            let scaleOffsets = dtype == .q4_k ? [0, 2] : [208]
            for offset in scaleOffsets {
                let half = Float16(Float(generator.next() % 1000 + 1) * 1e-5).bitPattern
                bytes[block * blockBytes + offset] = UInt8(half & 0xFF)
                bytes[block * blockBytes + offset + 1] = UInt8(half >> 8)
            }
        }
        let storage = TensorStorage(zeroedByteCount: byteCount)
        storage.base.copyMemory(from: bytes, byteCount: byteCount)
        return Tensor(viewing: storage.base, byteCount: byteCount, dtype: dtype, shape: [rows, cols], owner: storage)
    }

    /// `x` as the GEMV sees it: quantized to int8 for `dtype`'s weights, dequantized back.
    static func roundTrip(_ x: [Float], against dtype: DType) -> [Float] {
        let type = dtype.ggmlType!, cols = x.count, block = dtype == .q4_k || dtype == .q6_k ? 256 : 32
        var scratch = [UInt8](repeating: 0, count: pd_qgemv_scratch_bytes(type, cols))
        pd_quantize_activations(type, x, cols, &scratch)
        return scratch.withUnsafeBytes { raw in
            let qs = raw.bindMemory(to: Int8.self)
            let d = UnsafeRawPointer(raw.baseAddress! + cols).assumingMemoryBound(to: Float.self)
            return (0..<cols).map { Float(qs[$0]) * d[$0 / block] }
        }
    }
}
