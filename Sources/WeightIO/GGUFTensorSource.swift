import CKernels
import Tensors

/// The tensors of one GGUF file under the names a model adapter gives them, for `WeightStore`:
/// each name maps to a stored tensor and, optionally, an order of its rows (llama.cpp permutes
/// the rows of LLaMA's query and key projections). Plain and computed block formats are views
/// into the mapping; permuted rows are copied; Q4_1, Q5_0, Q5_1, Q5_K and Q8_K are dequantized and
/// requantized into Q8_0 when read (`GGUFTensorType.requantizedOnLoad`).
public final class GGUFTensorSource: TensorSource, @unchecked Sendable {
    /// Where one served tensor comes from.
    public struct Origin: Sendable, Equatable {
        /// The tensor's name in the file.
        public let stored: String
        /// Row `i` of the served tensor is stored row `rowOrder[i]` (nil: as stored).
        public let rowOrder: [Int]?

        public init(stored: String, rowOrder: [Int]? = nil) {
            self.stored = stored
            self.rowOrder = rowOrder
        }
    }

    public let file: GGUFFile
    private let origins: [String: Origin]
    private let entries: [String: GGUFFile.TensorEntry]

    public var path: String { file.path }
    public var names: [String] { origins.keys.sorted() }
    public var mapping: MappedFile? { file.file }

    /// Serves `origins` (served name → origin) from `file`. Throws, naming the file and tensor,
    /// when a stored tensor is absent, of a type this tool does not read, or a row order does not
    /// permute its rows.
    public init(file: GGUFFile, origins: [String: Origin]) throws {
        self.file = file
        self.origins = origins
        var entries: [String: GGUFFile.TensorEntry] = [:]
        for (name, origin) in origins {
            guard let entry = file.tensor(named: origin.stored) else {
                throw GGUFError(path: file.path, problem: "tensor \(origin.stored) is missing")
            }
            guard entry.type.loadedDType != nil else {
                throw GGUFError(path: file.path, problem: "tensor \(origin.stored) is \(entry.type), which this tool does not read "
                    + "(F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K; Q4_1, Q5_0, Q5_1, Q5_K, Q8_K as Q8_0)")
            }
            if let order = origin.rowOrder {
                let rows = entry.shape.first ?? 1
                guard order.count == rows, Set(order) == Set(0..<rows) else {
                    throw GGUFError(path: file.path, problem: "tensor \(origin.stored): the row order does not permute its \(rows) rows")
                }
            }
            entries[name] = entry
        }
        self.entries = entries
    }

    /// The stored entry behind served tensor `name`.
    public func entry(_ name: String) -> GGUFFile.TensorEntry? { entries[name] }

    public func info(_ name: String) -> TensorInfo? {
        guard let entry = entries[name], let dtype = entry.type.loadedDType else { return nil }
        return TensorInfo(name: name, dtype: dtype, shape: entry.shape)
    }

    public func tensor(_ name: String) throws -> Tensor {
        guard let entry = entries[name], let origin = origins[name], let dtype = entry.type.loadedDType else {
            throw WeightIOError.missingTensor(name: name, source: path)
        }
        var tensor: Tensor
        if GGUFTensorType.requantizedOnLoad.contains(entry.type) {
            tensor = try requantized(entry)
        } else {
            let bytes = file.bytes(of: entry)
            tensor = Tensor(viewing: bytes.baseAddress!, byteCount: bytes.count, dtype: dtype, shape: entry.shape, owner: file)
        }
        if let order = origin.rowOrder { tensor = Self.reordered(tensor, rows: order) }
        return tensor
    }

    /// A tensor of a `requantizedOnLoad` format as Q8_0 (vectors as F32).
    private func requantized(_ entry: GGUFFile.TensorEntry) throws -> Tensor {
        let values = Tensor(shape: entry.shape, values: try file.floats(of: entry))
        return values.rank == 2 ? values.quantized(to: .q8_0) : values
    }

    /// `tensor` with its rows (outermost dimension) in `order`, in owned memory.
    private static func reordered(_ tensor: Tensor, rows order: [Int]) -> Tensor {
        let source = tensor.rawBytes, rowBytes = source.count / max(order.count, 1)
        let holder = TensorStorage(zeroedByteCount: source.count)
        for (row, stored) in order.enumerated() {
            (holder.base + row * rowBytes).copyMemory(from: source.baseAddress! + stored * rowBytes, byteCount: rowBytes)
        }
        return Tensor(viewing: holder.base, byteCount: holder.byteCount, dtype: tensor.dtype, shape: tensor.shape, owner: holder)
    }
}
