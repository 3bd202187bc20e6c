import Tensors
import TestSupport
import Testing

/// The C f32 → bf16 conversion (`HalfPrecision.convertFromFloat(…, dtype: .bf16, …)`, used for
/// activations entering bf16 products) is bit-identical to `HalfPrecision.bf16FromFloat` — which
/// torch's rounding is checked against in HalfPrecisionTests — on both kernel paths, over special
/// values, ties and random bit patterns, at a count with a vector tail.
@Suite struct BF16ConversionTests {
    static let values: [Float] = {
        var values: [Float] = [0, -0, 1, -1, .infinity, -.infinity, .nan, -.nan, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                               .leastNonzeroMagnitude, .leastNormalMagnitude, 1 + 0x1p-8, 1 + 3 * 0x1p-8, Float(bitPattern: 0x7F7F_8000),
                               Float(bitPattern: 0x7FC0_0001), Float(bitPattern: 0xFF80_0001)]
        var generator = SplitMix64(seed: 3)
        while values.count < 1000 + 13 { values.append(Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()))) }
        return values
    }()

    @Test(arguments: KernelPath.allCases)
    func matchesTheScalarRounding(path: KernelPath) {
        var bits = [UInt16](repeating: 0, count: Self.values.count)
        path.run { HalfPrecision.convertFromFloat(Self.values, count: Self.values.count, dtype: .bf16, into: &bits) }
        for (value, got) in zip(Self.values, bits) {
            #expect(got == HalfPrecision.bf16FromFloat(value), "\(value.bitPattern)")
        }
    }
}
