import Tensors

/// Raw, row-major view of a KV store's contents for attention kernels: `count` rows of `width`
/// elements of `dtype` for the keys and for the values (after RoPE).
public struct KVRows {
    /// First key row (`nil` while the store is empty).
    public let keys: UnsafeRawPointer?
    /// First value row (`nil` while the store is empty).
    public let values: UnsafeRawPointer?
    /// Element type of both.
    public let dtype: DType
    /// Cached tokens.
    public let count: Int
    /// Elements per row (key/value heads × head dimension).
    public let width: Int

    public init(keys: UnsafeRawPointer?, values: UnsafeRawPointer?, dtype: DType, count: Int, width: Int) {
        self.keys = keys
        self.values = values
        self.dtype = dtype
        self.count = count
        self.width = width
    }
}

/// One layer's key/value cache for one sequence: the keys and values (after RoPE) of exactly the
/// tokens alive in that layer, so layers after a drop hold fewer rows than layers before it.
///
/// The store decides how rows are kept (f32, bf16, preallocated, …); layers append f32 rows and
/// read them back through `rows`. The wrapper only ever asks for `count`.
public protocol KVStore: Sendable {
    /// Number of cached tokens.
    var count: Int { get }
    /// Appends the rows of `keys` and `values` (`[rows, width]` f32 tensors of equal shape; the
    /// width is fixed by the first append).
    mutating func append(keys: Tensor, values: Tensor)
    /// Calls `body` with the stored rows.
    func withRows<R>(_ body: (KVRows) throws -> R) rethrows -> R
    /// Keys of `rows` as a `[rows.count, width]` f32 tensor.
    func keys(_ rows: Range<Int>) -> Tensor
    /// Empties the store, keeping its capacity.
    mutating func removeAll()
}
