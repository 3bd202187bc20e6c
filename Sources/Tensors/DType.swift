/// Element types a tensor can be stored in: every dtype of the safetensors specification, and
/// ggml's block-quantized formats the engine computes on.
///
/// Compute is always `Float` (f32); `F32`, `F16` and `BF16` storage can be read as floats,
/// `I64`/`I32` as integers. The other safetensors types are recognised (so files holding them
/// validate and can be listed) but not converted. The block formats (`Q8_0`, `Q4_0`, `Q4_K`,
/// `Q6_K`, as ggml-common.h lays them out, and the GEMV layouts `Q8_0x8`/`Q4_0x8` of
/// `pd_pack_x8`) hold matrices whose rows are whole blocks; they read as floats by dequantizing.
public enum DType: String, Sendable, CaseIterable {
    case bool = "BOOL"
    case f4 = "F4"
    case f6e2m3 = "F6_E2M3"
    case f6e3m2 = "F6_E3M2"
    case u8 = "U8"
    case i8 = "I8"
    case f8e5m2 = "F8_E5M2"
    case f8e4m3 = "F8_E4M3"
    case f8e8m0 = "F8_E8M0"
    case i16 = "I16"
    case u16 = "U16"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case u32 = "U32"
    case f32 = "F32"
    case c64 = "C64"
    case f64 = "F64"
    case i64 = "I64"
    case u64 = "U64"
    case q8_0 = "Q8_0"
    case q4_0 = "Q4_0"
    case q4_k = "Q4_K"
    case q6_k = "Q6_K"
    case q8_0x8 = "Q8_0x8"
    case q4_0x8 = "Q4_0x8"

    /// Size of one element in bits (sub-byte types are 4 or 6 bits); block formats have none
    /// (use `byteCount(elements:)`).
    public var bitWidth: Int {
        switch self {
        case .q8_0, .q4_0, .q4_k, .q6_k, .q8_0x8, .q4_0x8: preconditionFailure("\(rawValue) is a block format: no whole bits per element")
        case .f4: return 4
        case .f6e2m3, .f6e3m2: return 6
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3, .f8e8m0: return 8
        case .i16, .u16, .f16, .bf16: return 16
        case .i32, .u32, .f32: return 32
        case .c64, .f64, .i64, .u64: return 64
        }
    }

    /// Whether elements of this type can be read as `Float` for compute (block formats by
    /// dequantizing).
    public var isFloatReadable: Bool { self == .f32 || self == .f16 || self == .bf16 || isBlockQuantized }

    /// Whether this is one of ggml's block formats (or its GEMV layout).
    public var isBlockQuantized: Bool { ggmlType != nil }

    /// Whether a safetensors header may name this type.
    public var isSafetensorsType: Bool { !isBlockQuantized }

    /// ggml's type number for the block format (the GEMV layouts give their format's).
    public var ggmlType: UInt32? {
        switch self {
        case .q8_0, .q8_0x8: return 8
        case .q4_0, .q4_0x8: return 2
        case .q4_k: return 12
        case .q6_k: return 14
        default: return nil
        }
    }

    /// Whether this is a GEMV layout (8 rows interleaved, `pd_pack_x8`).
    public var isInterleaved: Bool { self == .q8_0x8 || self == .q4_0x8 }

    /// Elements per block (1 for element types).
    public var blockElements: Int {
        switch self {
        case .q8_0, .q4_0, .q8_0x8, .q4_0x8: return 32
        case .q4_k, .q6_k: return 256
        default: return 1
        }
    }

    /// Bytes per block of a block format.
    private var blockBytes: Int {
        switch self {
        case .q8_0, .q8_0x8: return 34
        case .q4_0, .q4_0x8: return 18
        case .q4_k: return 144
        case .q6_k: return 210
        default: return 0
        }
    }

    /// Number of bytes `count` elements occupy, or `nil` on overflow, when sub-byte elements do
    /// not fill whole bytes, or when `count` is not a whole number of a block format's blocks.
    public func byteCount(elements count: Int) -> Int? {
        if isBlockQuantized {
            guard count % blockElements == 0 else { return nil }
            let (bytes, overflow) = (count / blockElements).multipliedReportingOverflow(by: blockBytes)
            return overflow ? nil : bytes
        }
        let (bits, overflow) = count.multipliedReportingOverflow(by: bitWidth)
        guard !overflow, bits % 8 == 0 else { return nil }
        return bits / 8
    }
}
