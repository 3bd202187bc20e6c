import Tensors
import WeightIO

/// One tensor of a converted checkpoint: where it comes from and what happens to it on the way —
/// rows kept or padded, and the stored dtype. `produce()` reads it only when it is written, so a
/// conversion holds about one tensor in memory at a time.
public struct TensorRecipe: Sendable {
    /// What happens to the rows (the first dimension) of the tensor.
    public enum Rows: Sendable, Equatable {
        /// All rows, unchanged.
        case all
        /// Only the first `n` rows (llava-hf → original: the padded vocabulary sliced off).
        case first(Int)
        /// The rows followed by copies of their mean up to `n` rows (original → llava-hf: the
        /// vocabulary padded for `<image>`, `<pad>` and a multiple of 64). The mean is taken in
        /// f64 over the source values, rounded to f32, then stored in the output dtype with
        /// round-to-nearest-even — deterministic, unlike transformers' random samples around it.
        case padded(to: Int)
    }

    /// The name in the converted checkpoint.
    public let name: String
    /// The canonical name (see `TensorNameMap`).
    public let canonical: String
    /// Where the tensor is read from.
    public let store: WeightStore
    public let sourceName: String
    /// The source tensor's dtype and shape.
    public let sourceInfo: TensorInfo
    public let rows: Rows
    /// The stored dtype (the source's for non-float tensors, which are never converted).
    public let dtype: DType

    /// Plans `sourceName` of `store` as `name`, converted to `dtype` (`nil`: keep).
    public init(name: String, canonical: String, store: WeightStore, sourceName: String, rows: Rows = .all, dtype: DType?) throws {
        guard let info = store.info(sourceName) else { throw WeightIOError.missingTensor(name: sourceName, source: store.path) }
        if rows != .all {
            guard info.dtype.isFloatReadable, info.shape.count == 2 else {
                throw ConversionError.badTensor(name: sourceName, path: store.path,
                                                reason: "rows can only be sliced or padded in a 2-D float tensor, not \(info.dtype.rawValue) \(info.shape)")
            }
            if case .first(let n) = rows, !(1...info.shape[0]).contains(n) {
                throw ConversionError.badTensor(name: sourceName, path: store.path, reason: "cannot keep \(n) of its \(info.shape[0]) rows")
            }
            if case .padded(let n) = rows, n < info.shape[0] {
                throw ConversionError.badTensor(name: sourceName, path: store.path, reason: "cannot pad its \(info.shape[0]) rows to \(n)")
            }
        }
        self.name = name
        self.canonical = canonical
        self.store = store
        self.sourceName = sourceName
        self.sourceInfo = info
        self.rows = rows
        self.dtype = info.dtype.isFloatReadable ? (dtype ?? info.dtype) : info.dtype
    }

    /// The output shape.
    public var shape: [Int] {
        switch rows {
        case .all: return sourceInfo.shape
        case .first(let n), .padded(let n): return [n] + sourceInfo.shape.dropFirst()
        }
    }

    /// Bytes the output tensor occupies.
    public var byteCount: Int { dtype.byteCount(elements: shape.reduce(1, *)) ?? 0 }

    /// The output tensor: a view of the source when nothing changes, else one new buffer of the
    /// output's size (conversion goes through a small f32 scratch, never a whole f32 copy).
    public func produce() throws -> Tensor {
        let source = try store.tensor(sourceName)
        guard source.shape == sourceInfo.shape, source.dtype == sourceInfo.dtype else {
            throw ConversionError.badTensor(name: sourceName, path: store.path, reason: "changed while being read")
        }
        switch rows {
        case .all:
            return dtype == source.dtype ? source : Self.converted(source, to: dtype)
        case .first(let n):
            let rowBytes = source.dtype.byteCount(elements: source.count / source.shape[0])!
            let box = Retainer(source)
            let view = Tensor(viewing: source.rawBytes.baseAddress!, byteCount: n * rowBytes, dtype: source.dtype,
                              shape: shape, owner: box)
            return dtype == source.dtype ? view : Self.converted(view, to: dtype)
        case .padded(let n):
            return Self.padded(source, to: n, dtype: dtype)
        }
    }

    /// Elements converted per step of the streaming conversions.
    static let chunk = 1 << 16

    /// Converts `count` elements of `from` at `source` into `to` at `destination`, chunk by chunk.
    /// Element-wise, so identical to `Tensor.converted(to:)`.
    static func convert(_ source: UnsafeRawPointer, from: DType, count: Int, to: DType, into destination: UnsafeMutableRawPointer) {
        if from == to {
            destination.copyMemory(from: source, byteCount: from.byteCount(elements: count)!)
            return
        }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: chunk) { scratch in
            var done = 0
            while done < count {
                let n = min(chunk, count - done)
                HalfPrecision.convertToFloat(source + from.byteCount(elements: done)!, dtype: from, count: n, into: scratch.baseAddress!)
                HalfPrecision.convertFromFloat(scratch.baseAddress!, count: n, dtype: to, into: destination + to.byteCount(elements: done)!)
                done += n
            }
        }
    }

    static func converted(_ tensor: Tensor, to dtype: DType) -> Tensor {
        let storage = TensorStorage(zeroedByteCount: dtype.byteCount(elements: tensor.count)!)
        convert(tensor.rawBytes.baseAddress!, from: tensor.dtype, count: tensor.count, to: dtype, into: storage.base)
        return Tensor(viewing: storage.base, byteCount: storage.byteCount, dtype: dtype, shape: tensor.shape, owner: storage)
    }

    /// `source` [r, d] followed by `n − r` copies of its mean row, stored as `dtype`.
    static func padded(_ source: Tensor, to n: Int, dtype: DType) -> Tensor {
        let r = source.shape[0], d = source.count / max(r, 1)
        let storage = TensorStorage(zeroedByteCount: dtype.byteCount(elements: n * d)!)
        let base = source.rawBytes.baseAddress!
        convert(base, from: source.dtype, count: r * d, to: dtype, into: storage.base)
        let mean = meanRow(base, dtype: source.dtype, rows: r, columns: d)
        let rowBytes = dtype.byteCount(elements: d)!
        mean.withUnsafeBufferPointer { values in
            for row in r..<n {
                HalfPrecision.convertFromFloat(values.baseAddress!, count: d, dtype: dtype, into: storage.base + row * rowBytes)
            }
        }
        return Tensor(viewing: storage.base, byteCount: storage.byteCount, dtype: dtype, shape: [n, d], owner: storage)
    }

    /// The mean of `rows` rows: summed in f64 in row order, divided, rounded to f32.
    static func meanRow(_ base: UnsafeRawPointer, dtype: DType, rows: Int, columns: Int) -> [Float] {
        var sums = [Double](repeating: 0, count: columns)
        var row = [Float](repeating: 0, count: columns)
        let rowBytes = dtype.byteCount(elements: columns)!
        for r in 0..<rows {
            row.withUnsafeMutableBufferPointer { HalfPrecision.convertToFloat(base + r * rowBytes, dtype: dtype, count: columns, into: $0.baseAddress!) }
            for c in 0..<columns { sums[c] += Double(row[c]) }
        }
        return sums.map { Float($0 / Double(max(rows, 1))) }
    }
}

/// Keeps a source tensor (and so its mapped file) alive under a view of part of it.
private final class Retainer: @unchecked Sendable {
    let tensor: Tensor
    init(_ tensor: Tensor) { self.tensor = tensor }
}
