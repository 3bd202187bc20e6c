import PyramidDrop
import Tensors

/// A bfloat16 value (its bits), rounded to nearest even from f32.
public struct BFloat16: KVElement, Hashable {
    public let bits: UInt16

    public static var dtype: DType { .bf16 }

    public static func append(_ source: UnsafeBufferPointer<Float>, to rows: inout [BFloat16]) {
        guard let base = source.baseAddress else { return }
        let start = rows.count
        rows.append(contentsOf: repeatElement(BFloat16(bits: 0), count: source.count))
        rows.withUnsafeMutableBytes { dst in
            HalfPrecision.convertFromFloat(base, count: source.count, dtype: .bf16, into: dst.baseAddress! + start * 2)
        }
    }

    public static func widen(_ source: UnsafePointer<BFloat16>, count: Int, into destination: UnsafeMutablePointer<Float>) {
        HalfPrecision.convertToFloat(UnsafeRawPointer(source), dtype: .bf16, count: count, into: destination)
    }
}

/// A KV store that keeps keys and values as bfloat16: half the memory of `F32KVStore` and half
/// the bytes a decode step reads from the cache. Attention widens rows to f32 as it reads them,
/// so results drift from the f32 store by bf16's rounding (stated in the tests).
public typealias BF16KVStore = DenseKVStore<BFloat16>
