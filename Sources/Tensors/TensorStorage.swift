/// The bytes behind a `Tensor`: either memory this object owns (64-byte aligned, taken from and
/// returned to `BufferPool.current`) or a read-only view into memory kept alive by `owner` (for
/// example a mapped safetensors file).
public final class TensorStorage: @unchecked Sendable {
    /// Start of the bytes.
    public let base: UnsafeMutableRawPointer
    /// Number of bytes.
    public let byteCount: Int
    /// Keeps viewed memory alive; `nil` when this storage owns its bytes.
    private let owner: AnyObject?
    /// Where owned bytes came from and go back to.
    private let pool: BufferPool?

    /// Whether the bytes may be written (owned storage only).
    public var isWritable: Bool { owner == nil }

    /// `byteCount` zeroed bytes, 64-byte aligned, from `BufferPool.current`.
    public init(zeroedByteCount byteCount: Int) {
        self.byteCount = byteCount
        let pool = BufferPool.current
        base = pool.take(byteCount: byteCount)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
        owner = nil
        self.pool = pool
    }

    /// A read-only view of `byteCount` bytes at `base`, valid while `owner` lives.
    public init(viewing base: UnsafeRawPointer, byteCount: Int, owner: AnyObject) {
        self.base = UnsafeMutableRawPointer(mutating: base)
        self.byteCount = byteCount
        self.owner = owner
        pool = nil
    }

    deinit {
        pool?.give(base, byteCount: byteCount)
    }
}
