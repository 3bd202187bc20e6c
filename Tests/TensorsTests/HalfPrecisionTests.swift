import Testing
import Tensors
import TestSupport

/// f32 ⇄ f16 / bf16 against torch's `.to(dtype)` (`ops/conversions.safetensors`): exact bits.
/// Inputs: ties and near-ties for both formats, f16 overflow (65519.99 → 65504, 65520 → inf),
/// f16 and f32 subnormals, ±0, ±inf, NaNs, 2 048 random bit patterns and 512 normal samples.
/// NaN inputs must give a NaN; its payload is not compared (torch's scalar path gives 0x7FC0,
/// its vectorised path 0xFFFF).
@Suite struct HalfPrecisionTests {
    let fixture: [String: Tensor]
    init() throws { fixture = try Fixtures.tensors("ops/conversions.safetensors") }

    private static func bits16(_ t: Tensor) -> [UInt16] {
        (0..<t.count).map { t.rawBytes.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self) }
    }

    @Test(arguments: [DType.f16, .bf16])
    func floatToSixteenBitsRoundsLikeTorch(dtype: DType) throws {
        let source = try tensor(fixture, "f32").floats
        let expected = Self.bits16(try tensor(fixture, dtype == .f16 ? "f16" : "bf16"))
        #expect(source.count == expected.count && source.count > 2_500)
        var mismatches: [String] = []
        for (value, want) in zip(source, expected) {
            let got = dtype == .f16 ? HalfPrecision.f16FromFloat(value) : HalfPrecision.bf16FromFloat(value)
            if value.isNaN {
                let back = dtype == .f16 ? HalfPrecision.floatFromF16(got) : HalfPrecision.floatFromBF16(got)
                if !back.isNaN { mismatches.append("NaN \(String(value.bitPattern, radix: 16)) → \(String(got, radix: 16)), not a NaN") }
            } else if got != want {
                mismatches.append("\(value) (0x\(String(value.bitPattern, radix: 16))) → 0x\(String(got, radix: 16)), torch 0x\(String(want, radix: 16))")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(5))")

        // The bulk path and Tensor.converted(to:) agree with the scalar functions.
        let converted = Tensor(shape: [source.count], values: source).converted(to: dtype)
        #expect(converted.dtype == dtype)
        let bulk = Self.bits16(converted)
        for (i, value) in source.enumerated() where !value.isNaN {
            if bulk[i] != expected[i] { Issue.record("converted(to:) element \(i): 0x\(String(bulk[i], radix: 16))"); break }
        }
    }

    /// 16-bit patterns (every 61st, plus zeros, subnormals, max, inf, NaNs) read back as f32 exactly.
    @Test(arguments: [DType.f16, .bf16])
    func sixteenBitsToFloatIsExact(dtype: DType) throws {
        let name = dtype == .f16 ? "f16_patterns" : "bf16_patterns"
        let patterns = try tensor(fixture, name)
        let expected = try tensor(fixture, "\(name)_f32").floats
        let got = patterns.floats
        #expect(got.count == expected.count)
        for (i, (g, e)) in zip(got, expected).enumerated() {
            if e.isNaN { #expect(g.isNaN, "pattern \(i)") } else if g.bitPattern != e.bitPattern {
                Issue.record("\(dtype.rawValue) pattern \(i): \(g), torch \(e)")
                break
            }
        }
    }

    /// Every non-NaN 16-bit pattern survives 16 → 32 → 16 bits unchanged; every NaN stays a NaN.
    @Test(arguments: [DType.f16, .bf16])
    func exhaustiveRoundTrip(dtype: DType) {
        var failures = 0
        for bits in UInt16.min...UInt16.max {
            let f = dtype == .f16 ? HalfPrecision.floatFromF16(bits) : HalfPrecision.floatFromBF16(bits)
            let back = dtype == .f16 ? HalfPrecision.f16FromFloat(f) : HalfPrecision.bf16FromFloat(f)
            if f.isNaN {
                let again = dtype == .f16 ? HalfPrecision.floatFromF16(back) : HalfPrecision.floatFromBF16(back)
                if !again.isNaN { failures += 1 }
            } else if back != bits {
                failures += 1
            }
        }
        #expect(failures == 0)
    }

    @Test func knownValues() {
        #expect(HalfPrecision.bf16FromFloat(1 + 0x1p-8) == 0x3F80)           // tie → even (down)
        #expect(HalfPrecision.bf16FromFloat(1 + 3 * 0x1p-8) == 0x3F82)       // tie → even (up)
        #expect(HalfPrecision.bf16FromFloat(.greatestFiniteMagnitude) == 0x7F80)  // overflow → inf
        #expect(HalfPrecision.f16FromFloat(65519) == 0x7BFF)
        #expect(HalfPrecision.f16FromFloat(65520) == 0x7C00)
        #expect(HalfPrecision.f16FromFloat(0x1p-25) == 0)                    // tie with 0 → 0
        #expect(HalfPrecision.f16FromFloat(3 * 0x1p-25) == 2)                // tie → even subnormal
        #expect(HalfPrecision.f16FromFloat(-0.0) == 0x8000)
        #expect(HalfPrecision.floatFromBF16(0x0001) == Float(bitPattern: 0x0001_0000))
        #expect(HalfPrecision.floatFromF16(0x0001) == 0x1p-24)
    }
}
