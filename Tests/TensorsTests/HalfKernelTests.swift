import Foundation
import Tensors
import TestSupport
import Testing

/// The C kernels against scalar Swift and OpenBLAS, on every kernel level this CPU runs.
@Suite struct HalfKernelTests {
    /// Every one of the 65 536 bit patterns converts exactly as Swift's `Float16` / bf16 widening
    /// (NaNs stay NaN), through the bulk conversion the GEMM tiles use — also at an odd address.
    @Test(arguments: [DType.f16, .bf16], KernelPath.allCases)
    func bulkConversionIsExact(dtype: DType, path: KernelPath) {
        var bytes = [UInt8](repeating: 0, count: 2 * 65_536 + 1)
        for bits in 0..<65_536 {
            bytes[1 + 2 * bits] = UInt8(bits & 0xFF)
            bytes[2 + 2 * bits] = UInt8(bits >> 8)
        }
        var converted = [Float](repeating: 0, count: 65_536)
        path.run {
            bytes.withUnsafeBytes { raw in
                converted.withUnsafeMutableBufferPointer { dst in
                    HalfPrecision.convertToFloat(raw.baseAddress! + 1, dtype: dtype, count: 65_536, into: dst.baseAddress!)
                }
            }
        }
        let mismatches = (0..<65_536).filter { bits in
            let expected = dtype == .f16 ? HalfPrecision.floatFromF16(UInt16(bits)) : HalfPrecision.floatFromBF16(UInt16(bits))
            return expected.isNaN ? !converted[bits].isNaN : expected.bitPattern != converted[bits].bitPattern
        }
        #expect(mismatches.isEmpty)
    }

    /// A one-row `linear` (the decode GEMV: rows not a multiple of 4, columns not a multiple of 16,
    /// large enough to split over the cores) equals OpenBLAS `sgemm` on the widened weights to 1e-5
    /// relative (only the summation order differs), for weights stored in every float format.
    @Test(arguments: [DType.f32, .f16, .bf16], KernelPath.allCases)
    func gemvMatchesSGEMM(dtype: DType, path: KernelPath) {
        let outFeatures = 1027, inFeatures = 301
        var generator = SplitMix64(seed: 9)
        let weight = Tensor(shape: [outFeatures, inFeatures], values: (0..<(outFeatures * inFeatures)).map { _ in uniform(&generator) })
            .converted(to: dtype)
        let x = Tensor(shape: [1, inFeatures], values: (0..<inFeatures).map { _ in uniform(&generator) })
        let bias = Tensor(shape: [outFeatures], values: (0..<outFeatures).map { _ in uniform(&generator) })
        var reference = GEMM.matmul(x, weight.toFloat32(), transposeB: true)
        reference.add(bias.reshaped([1, outFeatures]))
        let result = path.run { GEMM.linear(x, weight: weight, bias: bias) }
        #expect(isClose(result, reference, relative: 1e-5, absolute: 1e-5))
        // Several rows take the sgemm path; each row equals its own GEMV.
        let two = Tensor(shape: [2, inFeatures], values: x.floats + x.floats)
        let tiled = path.run { GEMM.linear(two, weight: weight, bias: bias).floats }
        #expect(maxAbsDiff(Array(tiled[..<outFeatures]), result.floats) <= 1e-4)
    }

    /// Rows wider than the bf16 kernel's on-stack copy of x (16 384 columns) take its heap path
    /// and still match `sgemm` on the widened weights.
    @Test(arguments: [DType.f16, .bf16], KernelPath.allCases)
    func wideRowGEMVMatchesSGEMM(dtype: DType, path: KernelPath) {
        let outFeatures = 6, inFeatures = 16_411
        var generator = SplitMix64(seed: 11)
        let weight = Tensor(shape: [outFeatures, inFeatures], values: (0..<(outFeatures * inFeatures)).map { _ in uniform(&generator) })
            .converted(to: dtype)
        let x = Tensor(shape: [1, inFeatures], values: (0..<inFeatures).map { _ in uniform(&generator) })
        let reference = GEMM.matmul(x, weight.toFloat32(), transposeB: true)
        #expect(isClose(path.run { GEMM.linear(x, weight: weight) }, reference, relative: 1e-5, absolute: 1e-4))
    }

    /// Without an override the environment decides (`PDROP_KERNELS`, unset: the CPU's best
    /// level); a thread's level holds on the `Parallel` workers it starts.
    @Test func levelReachesParallelWorkers() {
        let variable = ProcessInfo.processInfo.environment["PDROP_KERNELS"] ?? ""
        let chosen = KernelLevel.allCases.first { $0.description == variable }.map { min($0, Kernels.best) } ?? Kernels.best
        #expect(Kernels.level == chosen && Kernels.environmentLevel == chosen)
        for level in Kernels.available {
            var seen = [KernelLevel?](repeating: nil, count: 8)
            Kernels.withLevel(level) {
                seen.withUnsafeMutableBufferPointer { levels in Parallel.forEach(8) { levels[$0] = Kernels.level } }
            }
            #expect(seen == [KernelLevel?](repeating: level, count: 8))
        }
        // A level above the CPU's is capped at its best.
        #expect(Kernels.withLevel(.avx512) { Kernels.level } == Kernels.best)
    }
}

/// A float in [-1, 1) from `generator`.
private func uniform(_ generator: inout SplitMix64) -> Float {
    Float(generator.next() >> 40) / Float(1 << 23) - 1
}
