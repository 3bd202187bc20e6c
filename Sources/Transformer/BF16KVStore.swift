import PyramidDrop
import Tensors

/// A KV store that keeps keys and values as bfloat16 (rounded to nearest even): half the memory
/// of `F32KVStore` and half the bytes a decode step reads from the cache. Attention widens rows
/// to f32 as it reads them, so results drift from the f32 store by bf16's rounding (stated in
/// the tests).
public struct BF16KVStore: KVStore {
    private var keyRows: [UInt16] = []
    private var valueRows: [UInt16] = []
    private var width = 0
    public private(set) var count = 0

    public init() {}

    public mutating func append(keys: Tensor, values: Tensor) {
        precondition(keys.shape == values.shape && keys.rank == 2, "BF16KVStore: keys \(keys.shape), values \(values.shape)")
        precondition(count == 0 || keys.shape[1] == width, "BF16KVStore: row width \(keys.shape[1]) differs from \(width)")
        width = keys.shape[1]
        Self.appendRounded(keys, to: &keyRows)
        Self.appendRounded(values, to: &valueRows)
        count += keys.shape[0]
    }

    private static func appendRounded(_ tensor: Tensor, to rows: inout [UInt16]) {
        let start = rows.count
        rows.append(contentsOf: repeatElement(0, count: tensor.count))
        tensor.withFloats { src in
            rows.withUnsafeMutableBytes { dst in
                HalfPrecision.convertFromFloat(src.baseAddress!, count: src.count, dtype: .bf16, into: dst.baseAddress! + start * 2)
            }
        }
    }

    public func withRows<R>(_ body: (KVRows) throws -> R) rethrows -> R {
        try keyRows.withUnsafeBytes { k in
            try valueRows.withUnsafeBytes { v in
                try body(KVRows(keys: k.baseAddress, values: v.baseAddress, dtype: .bf16, count: count, width: width))
            }
        }
    }

    public func keys(_ rows: Range<Int>) -> Tensor {
        var out = Tensor(zeros: [rows.count, width])
        keyRows.withUnsafeBytes { src in
            out.withMutableFloats { HalfPrecision.convertToFloat(src.baseAddress! + rows.lowerBound * width * 2, dtype: .bf16,
                                                                 count: rows.count * width, into: $0.baseAddress!) }
        }
        return out
    }

    public mutating func removeAll() {
        keyRows.removeAll(keepingCapacity: true)
        valueRows.removeAll(keepingCapacity: true)
        count = 0
    }
}
