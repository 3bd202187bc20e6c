import Tensors

/// An element format `DenseKVStore` keeps rows in.
public protocol KVElement: Sendable {
    /// The dtype attention kernels see in `KVRows`.
    static var dtype: DType { get }
    /// Appends `source`, converted to this format, to `rows`.
    static func append(_ source: UnsafeBufferPointer<Float>, to rows: inout [Self])
    /// Widens `count` stored elements at `source` into f32 at `destination`.
    static func widen(_ source: UnsafePointer<Self>, count: Int, into destination: UnsafeMutablePointer<Float>)
}

extension Float: KVElement {
    public static var dtype: DType { .f32 }
    public static func append(_ source: UnsafeBufferPointer<Float>, to rows: inout [Float]) { rows.append(contentsOf: source) }
    public static func widen(_ source: UnsafePointer<Float>, count: Int, into destination: UnsafeMutablePointer<Float>) {
        destination.update(from: source, count: count)
    }
}

/// A KV store that keeps the rows of keys and values contiguously in growable arrays of
/// `Element` (appends are amortised).
public struct DenseKVStore<Element: KVElement>: KVStore {
    private var keyRows: [Element] = []
    private var valueRows: [Element] = []
    private var width = 0
    public private(set) var count = 0

    public init() {}

    public mutating func append(keys: Tensor, values: Tensor) {
        precondition(keys.shape == values.shape && keys.rank == 2, "KV store: keys \(keys.shape), values \(values.shape)")
        precondition(count == 0 || keys.shape[1] == width, "KV store: row width \(keys.shape[1]) differs from \(width)")
        width = keys.shape[1]
        keys.withFloats { Element.append($0, to: &keyRows) }
        values.withFloats { Element.append($0, to: &valueRows) }
        count += keys.shape[0]
    }

    public func withRows<R>(_ body: (KVRows) throws -> R) rethrows -> R {
        try keyRows.withUnsafeBytes { k in
            try valueRows.withUnsafeBytes { v in
                try body(KVRows(keys: k.baseAddress, values: v.baseAddress, dtype: Element.dtype, count: count, width: width))
            }
        }
    }

    public func keys(_ rows: Range<Int>) -> Tensor {
        var out = Tensor(zeros: [rows.count, width])
        guard !rows.isEmpty else { return out }
        keyRows.withUnsafeBufferPointer { src in
            out.withMutableFloats { Element.widen(src.baseAddress! + rows.lowerBound * width, count: rows.count * width, into: $0.baseAddress!) }
        }
        return out
    }

    public mutating func removeAll() {
        keyRows.removeAll(keepingCapacity: true)
        valueRows.removeAll(keepingCapacity: true)
        count = 0
    }
}

/// The default KV store: f32 rows, exact.
public typealias F32KVStore = DenseKVStore<Float>
