import Tensors

/// The default KV store: f32 rows in growable arrays (appends are amortised).
public struct F32KVStore: KVStore {
    private var keyRows: [Float] = []
    private var valueRows: [Float] = []
    private var width = 0
    public private(set) var count = 0

    public init() {}

    public mutating func append(keys: Tensor, values: Tensor) {
        precondition(keys.shape == values.shape && keys.rank == 2, "F32KVStore: keys \(keys.shape), values \(values.shape)")
        precondition(count == 0 || keys.shape[1] == width, "F32KVStore: row width \(keys.shape[1]) differs from \(width)")
        width = keys.shape[1]
        keys.withFloats { keyRows.append(contentsOf: $0) }
        values.withFloats { valueRows.append(contentsOf: $0) }
        count += keys.shape[0]
    }

    public func withRows<R>(_ body: (KVRows) throws -> R) rethrows -> R {
        try keyRows.withUnsafeBytes { k in
            try valueRows.withUnsafeBytes { v in
                try body(KVRows(keys: k.baseAddress, values: v.baseAddress, dtype: .f32, count: count, width: width))
            }
        }
    }

    public func keys(_ rows: Range<Int>) -> Tensor {
        Tensor(shape: [rows.count, width], values: Array(keyRows[(rows.lowerBound * width)..<(rows.upperBound * width)]))
    }

    public mutating func removeAll() {
        keyRows.removeAll(keepingCapacity: true)
        valueRows.removeAll(keepingCapacity: true)
        count = 0
    }
}
