/// A dense, row-major tensor.
///
/// Compute happens in `Float`. A tensor either owns f32 memory (the result of every op) or is a
/// read-only view of F32/F16/BF16 (or integer) bytes in memory someone else owns, typically a
/// memory-mapped weight file; `linear` and friends read such views directly, converting
/// 16-bit weights tile by tile. Tensors have value semantics: writing to a shared tensor copies it.
public struct Tensor: @unchecked Sendable {
    /// Dimensions, outermost first.
    public private(set) var shape: [Int]
    /// Storage element type.
    public let dtype: DType
    private var storage: TensorStorage

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }
    /// Number of dimensions.
    public var rank: Int { shape.count }

    /// A zero-filled f32 tensor.
    public init(zeros shape: [Int]) {
        self.shape = shape
        dtype = .f32
        storage = TensorStorage(zeroedByteCount: shape.reduce(1, *) * 4)
    }

    /// An f32 tensor holding `values` (whose count must equal the product of `shape`).
    public init(shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *),
                     "Tensor(shape: \(shape)) needs \(shape.reduce(1, *)) values, got \(values.count)")
        self.init(zeros: shape)
        values.withUnsafeBufferPointer { src in
            storage.base.copyMemory(from: src.baseAddress!, byteCount: src.count * 4)
        }
    }

    /// An f32 tensor filled with `value`.
    public init(shape: [Int], repeating value: Float) {
        self.init(zeros: shape)
        storage.base.bindMemory(to: Float.self, capacity: count).update(repeating: value, count: count)
    }

    /// A read-only view of bytes that `owner` keeps alive. The caller guarantees that `byteCount`
    /// matches `shape` and `dtype`.
    public init(viewing base: UnsafeRawPointer, byteCount: Int, dtype: DType, shape: [Int], owner: AnyObject) {
        self.shape = shape
        self.dtype = dtype
        storage = TensorStorage(viewing: base, byteCount: byteCount, owner: owner)
    }

    /// Raw bytes of the storage (read-only).
    public var rawBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage.base, count: storage.byteCount)
    }

    /// Whether the storage is f32 and 4-byte aligned, so it can be read as `Float` in place.
    public var isDirectFloat: Bool {
        dtype == .f32 && Int(bitPattern: storage.base) % MemoryLayout<Float>.alignment == 0
    }

    /// The same elements under a new shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        var copy = self
        copy.shape = newShape
        return copy
    }

    /// Calls `body` with the elements as floats: in place for direct f32 storage, otherwise
    /// through a converted temporary copy.
    public func withFloats<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        if isDirectFloat {
            return try body(UnsafeBufferPointer(start: storage.base.assumingMemoryBound(to: Float.self), count: count))
        }
        precondition(dtype.isFloatReadable, "tensor of dtype \(dtype.rawValue) cannot be read as floats")
        let tmp = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(count, 1))
        defer { tmp.deallocate() }
        readFloats(into: tmp.baseAddress!)
        return try body(UnsafeBufferPointer(rebasing: tmp[0..<count]))
    }

    /// Calls `body` with writable f32 elements; copies first when the storage is shared, read-only
    /// or not f32 (the tensor then becomes an owned f32 tensor).
    public mutating func withMutableFloats<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        if !(isDirectFloat && storage.isWritable && isKnownUniquelyReferenced(&storage)) {
            self = toFloat32()
        }
        return try body(UnsafeMutableBufferPointer(start: storage.base.assumingMemoryBound(to: Float.self), count: count))
    }

    /// An owned f32 copy.
    public func toFloat32() -> Tensor {
        var out = Tensor(zeros: shape)
        let dst = out.storage.base.assumingMemoryBound(to: Float.self)
        precondition(dtype.isFloatReadable, "tensor of dtype \(dtype.rawValue) cannot be read as floats")
        readFloats(into: dst)
        out.shape = shape
        return out
    }

    /// Every element as f32 into `destination` (a float-readable dtype).
    private func readFloats(into destination: UnsafeMutablePointer<Float>) {
        if dtype.isInterleaved {
            dequantizeRows(0..<shape[0], into: destination)
        } else {
            HalfPrecision.convertToFloat(storage.base, dtype: dtype, count: count, into: destination)
        }
    }

    /// The elements as an array of floats.
    public var floats: [Float] { withFloats { Array($0) } }

    /// The elements of an integer tensor (I64, I32, U8, I8, I16, U16, U32, BOOL) as `Int`s.
    public var integers: [Int] {
        let raw = rawBytes
        switch dtype {
        case .i64: return (0..<count).map { Int(raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }
        case .u64: return (0..<count).map { Int(truncatingIfNeeded: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self)) }
        case .i32: return (0..<count).map { Int(raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) }
        case .u32: return (0..<count).map { Int(raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)) }
        case .i16: return (0..<count).map { Int(raw.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self)) }
        case .u16: return (0..<count).map { Int(raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)) }
        case .i8: return (0..<count).map { Int(raw.load(fromByteOffset: $0, as: Int8.self)) }
        case .u8, .bool: return (0..<count).map { Int(raw[$0]) }
        default: preconditionFailure("tensor of dtype \(dtype.rawValue) cannot be read as integers")
        }
    }

    /// A tensor of `dtype` holding the given integers (I64, I32).
    public init(shape: [Int], integers: [Int], dtype: DType = .i64) {
        precondition(dtype == .i64 || dtype == .i32, "integer tensors are I64 or I32")
        precondition(integers.count == shape.reduce(1, *))
        self.shape = shape
        self.dtype = dtype
        storage = TensorStorage(zeroedByteCount: integers.count * dtype.bitWidth / 8)
        for (i, v) in integers.enumerated() {
            if dtype == .i64 {
                storage.base.storeBytes(of: Int64(v), toByteOffset: 8 * i, as: Int64.self)
            } else {
                storage.base.storeBytes(of: Int32(truncatingIfNeeded: v), toByteOffset: 4 * i, as: Int32.self)
            }
        }
    }

    /// This tensor's elements stored as `target` (F32, F16 or BF16), rounding to nearest even.
    public func converted(to target: DType) -> Tensor {
        precondition(target.isFloatReadable, "can only convert to F32, F16 or BF16")
        if target == dtype { return self }
        let holder = TensorStorage(zeroedByteCount: count * target.bitWidth / 8)
        withFloats { src in
            HalfPrecision.convertFromFloat(src.baseAddress!, count: count, dtype: target, into: holder.base)
        }
        return Tensor(viewing: holder.base, byteCount: holder.byteCount, dtype: target, shape: shape, owner: holder)
    }
}
