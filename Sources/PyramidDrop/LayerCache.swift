import Tensors

/// One layer's key/value cache: the keys and values (after RoPE) of exactly the tokens alive in
/// that layer, so layers after a drop hold fewer rows than layers before it.
public struct LayerCache: Sendable {
    /// Keys, `count × width` floats, row-major.
    public private(set) var keys: [Float] = []
    /// Values, `count × width` floats, row-major.
    public private(set) var values: [Float] = []
    /// Floats per row (key/value heads × head dimension); 0 until the first append.
    public private(set) var width = 0
    /// Number of cached tokens.
    public private(set) var count = 0

    public init() {}

    /// Appends `rows` rows of keys and values (each `rows × width` floats).
    public mutating func append(keys newKeys: UnsafeBufferPointer<Float>, values newValues: UnsafeBufferPointer<Float>,
                                rows: Int, width: Int) {
        precondition(count == 0 || width == self.width, "LayerCache: row width \(width) differs from \(self.width)")
        precondition(newKeys.count == rows * width && newValues.count == rows * width, "LayerCache: wrong row count")
        self.width = width
        keys.append(contentsOf: newKeys)
        values.append(contentsOf: newValues)
        count += rows
    }

    /// Appends the rows of `keys` and `values` (`[rows, width]` tensors).
    public mutating func append(keys newKeys: Tensor, values newValues: Tensor) {
        precondition(newKeys.shape == newValues.shape && newKeys.rank == 2, "LayerCache: keys \(newKeys.shape), values \(newValues.shape)")
        newKeys.withFloats { k in
            newValues.withFloats { v in append(keys: k, values: v, rows: newKeys.shape[0], width: newKeys.shape[1]) }
        }
    }

    /// Empties the cache.
    public mutating func removeAll() {
        keys.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        count = 0
    }
}
