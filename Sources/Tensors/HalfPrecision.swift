import CKernels

/// Conversions between `Float` and the 16-bit storage formats (IEEE half and bfloat16).
public enum HalfPrecision {
    /// bfloat16 bits → `Float` (exact: bf16 is the upper half of an f32).
    @inline(__always)
    public static func floatFromBF16(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// `Float` → bfloat16 bits, rounding to nearest even; NaN stays a (quiet) NaN.
    @inline(__always)
    public static func bf16FromFloat(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: (bits >> 16) | 0x0040) }
        let roundingBias: UInt32 = 0x7FFF + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ roundingBias) >> 16)
    }

    /// IEEE half bits → `Float` (exact).
    @inline(__always)
    public static func floatFromF16(_ bits: UInt16) -> Float {
        Float(Float16(bitPattern: bits))
    }

    /// `Float` → IEEE half bits, rounding to nearest even (overflow gives ±infinity).
    @inline(__always)
    public static func f16FromFloat(_ value: Float) -> UInt16 {
        Float16(value).bitPattern
    }

    /// Converts `count` elements of `dtype` (F32, F16, BF16, or whole blocks of a ggml block
    /// format in its own layout) at `source` — which need not be aligned — into `destination`.
    public static func convertToFloat(_ source: UnsafeRawPointer, dtype: DType, count: Int,
                                      into destination: UnsafeMutablePointer<Float>) {
        switch dtype {
        case .f32:
            UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: count * 4)
        case .f16:
            pd_f16_to_f32(source.assumingMemoryBound(to: UInt16.self), destination, count)
        case .bf16:
            pd_bf16_to_f32(source.assumingMemoryBound(to: UInt16.self), destination, count)
        case .q8_0, .q4_0, .q4_k, .q6_k:
            precondition(pd_dequantize(dtype.ggmlType!, source, destination, count) == 0,
                         "convertToFloat: \(count) elements are not whole \(dtype.rawValue) blocks")
        default:
            preconditionFailure("convertToFloat: \(dtype.rawValue) is not a float storage type")
        }
    }

    /// Converts `count` floats into `dtype` (F32, F16 or BF16) bytes at `destination`.
    public static func convertFromFloat(_ source: UnsafePointer<Float>, count: Int, dtype: DType,
                                        into destination: UnsafeMutableRawPointer) {
        switch dtype {
        case .f32:
            destination.copyMemory(from: source, byteCount: count * 4)
        case .f16:
            for i in 0..<count {
                destination.storeBytes(of: f16FromFloat(source[i]), toByteOffset: 2 * i, as: UInt16.self)
            }
        case .bf16:
            pd_f32_to_bf16(source, destination.assumingMemoryBound(to: UInt16.self), count)
        default:
            preconditionFailure("convertFromFloat: \(dtype.rawValue) is not a float storage type")
        }
    }
}
