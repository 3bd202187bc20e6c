import Tensors

/// A storage named by a persistent id `('storage', torch.FloatStorage, key, location, numel)`:
/// its bytes are the archive record `<archive>/data/<key>`.
struct TorchStorageRef: Sendable, Equatable {
    let dtype: DType
    let key: String
    let location: String
    let elementCount: Int
}

/// The arguments of one `_rebuild_tensor_v2` call, as the pickle gives them (not yet checked).
struct TorchTensorArguments: Sendable, Equatable {
    let storage: TorchStorageRef
    let offset: Int
    let shape: [Int]
    let strides: [Int]
}

/// A tensor as `_rebuild_tensor_v2` describes it: a strided window on a storage, in elements.
/// Built only through `init(_:)`, which checks that every element lies inside the storage.
struct TorchTensorSpec: Sendable, Equatable {
    let storage: TorchStorageRef
    let offset: Int
    let shape: [Int]
    let strides: [Int]
    /// Number of elements.
    let count: Int

    /// Validates sizes, strides and offset against the storage's element count (overflow-safe);
    /// the error text says what is wrong.
    init(_ arguments: TorchTensorArguments) throws(SpecError) {
        let (storage, offset, shape, strides) = (arguments.storage, arguments.offset, arguments.shape, arguments.strides)
        guard shape.count == strides.count else { throw SpecError("size \(shape) and stride \(strides) differ in length") }
        guard offset >= 0, shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }) else {
            throw SpecError("negative offset \(offset), size \(shape) or stride \(strides)")
        }
        var count = 1, last = offset
        for (size, stride) in zip(shape, strides) {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else { throw SpecError("size \(shape) overflows") }
            count = product
            if size > 0 {
                let (reach, o1) = (size - 1).multipliedReportingOverflow(by: stride)
                let (sum, o2) = last.addingReportingOverflow(reach)
                guard !o1, !o2 else { throw SpecError("offset \(offset), size \(shape), stride \(strides) overflow") }
                last = sum
            }
        }
        guard storage.dtype.byteCount(elements: count) != nil else { throw SpecError("size \(shape) overflows the byte count") }
        guard count == 0 || last < storage.elementCount else {
            throw SpecError("offset \(offset), size \(shape), stride \(strides) reach element \(last) of a storage of \(storage.elementCount)")
        }
        // In-bounds elements at distinct places number at most the storage's; more means strides
        // that repeat elements (an expanded tensor), which `tensor(over:)` copies out: bound that.
        guard count <= max(storage.elementCount, Self.maxExpandedCount) else {
            throw SpecError("size \(shape) with stride \(strides) repeats elements: \(count) from a storage of \(storage.elementCount) (at most \(Self.maxExpandedCount) are expanded)")
        }
        self.storage = storage
        self.offset = offset
        self.shape = shape
        self.strides = strides
        self.count = count
    }

    /// Most elements an expanded tensor (strides that repeat storage elements) may copy out to.
    static let maxExpandedCount = 1 << 24

    /// What is wrong with a tensor's geometry.
    struct SpecError: Error, Equatable {
        let detail: String
        init(_ detail: String) { self.detail = detail }
    }

    /// Whether the elements are laid out row-major without gaps (strides of size-1 dimensions
    /// do not matter, as in torch).
    var isContiguous: Bool {
        var expected = 1
        for (size, stride) in zip(shape, strides).reversed() where size != 1 {
            if size == 0 { return true }
            guard stride == expected else { return false }
            expected *= size
        }
        return true
    }

    /// The tensor over `bytes` (the storage's record, `storage.elementCount` elements): a view
    /// kept alive by `owner` when contiguous, otherwise an owned contiguous copy.
    func tensor(over bytes: UnsafeRawBufferPointer, owner: AnyObject) -> Tensor {
        let width = storage.dtype.bitWidth / 8
        let byteCount = count * width
        if isContiguous, count > 0, let base = bytes.baseAddress {
            return Tensor(viewing: base + offset * width, byteCount: byteCount, dtype: storage.dtype, shape: shape, owner: owner)
        }
        let holder = TensorStorage(zeroedByteCount: byteCount)
        if count > 0, let base = bytes.baseAddress {
            // Walk the destination in row-major order, tracking the source element with an odometer.
            var index = [Int](repeating: 0, count: shape.count)
            var source = offset
            for element in 0..<count {
                (holder.base + element * width).copyMemory(from: base + source * width, byteCount: width)
                var d = shape.count - 1
                while d >= 0 {
                    index[d] += 1
                    source += strides[d]
                    if index[d] < shape[d] { break }
                    source -= strides[d] * shape[d]
                    index[d] = 0
                    d -= 1
                }
            }
        }
        return Tensor(viewing: holder.base, byteCount: byteCount, dtype: storage.dtype, shape: shape, owner: holder)
    }
}
