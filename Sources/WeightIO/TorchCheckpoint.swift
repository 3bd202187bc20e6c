import Tensors

/// One PyTorch checkpoint written by `torch.save` (a `.bin`/`.pt` zip archive such as
/// `pytorch_model-00001-of-00002.bin`), memory-mapped and fully validated when opened: the
/// archive, the restricted pickle of the state dict, every storage record and every tensor's
/// extent. Contiguous tensors are zero-copy views into the mapping; strided ones are copied into
/// contiguous memory when asked for. Several tensors may share one storage.
public final class TorchCheckpoint: TensorSource, @unchecked Sendable {
    /// The file's path.
    public let path: String
    /// Tensor names, sorted.
    public let names: [String]
    /// The archive's top-level folder (`archive`, or the file's stem for recent torch versions).
    public let archiveName: String
    private let specs: [String: TorchTensorSpec]
    /// Storage records by key.
    private let storages: [String: UnsafeRawBufferPointer]
    private let owner: AnyObject

    /// Maps and validates the checkpoint at `path`.
    public convenience init(path: String) throws {
        let file = try MappedFile(path: path)
        try self.init(bytes: file.bytes, owner: file, path: path)
    }

    /// Validates the checkpoint in `bytes`, which must stay valid while `owner` lives.
    init(bytes: UnsafeRawBufferPointer, owner: AnyObject, path: String) throws {
        func fail(_ problem: TorchProblem) -> WeightIOError { .torch(path: path, problem: problem) }
        self.path = path
        self.owner = owner
        if Self.isLegacy(bytes) { throw fail(.legacyFormat) }
        let archive = try ZipArchive(bytes: bytes, path: path, owner: owner)
        // As torch's reader: every record lives under the folder of the first entry.
        let first = archive.entries.first?.name ?? ""
        archiveName = first.firstIndex(of: "/").map { String(first[..<$0]) } ?? ""
        let pickleName = archiveName + "/data.pkl"
        guard let pickleEntry = archive.entry(named: pickleName) else { throw fail(.missingRecord(pickleName)) }
        if let orderEntry = archive.entry(named: archiveName + "/byteorder") {
            let order = String(decoding: try archive.contents(of: orderEntry), as: UTF8.self)
            guard order == "little" else { throw fail(.unsupportedByteOrder(order)) }
        }
        let saved = try TorchPickle.stateDict(try archive.contents(of: pickleEntry), path: path)

        var specs: [String: TorchTensorSpec] = [:]
        var storages: [String: UnsafeRawBufferPointer] = [:]
        var storageTypes: [String: DType] = [:]
        for (name, arguments) in saved {
            let storage = arguments.storage
            let spec: TorchTensorSpec
            do {
                spec = try TorchTensorSpec(arguments)
            } catch {
                throw fail(.tensorOutOfBounds(tensor: name, detail: error.detail))
            }
            let contents: UnsafeRawBufferPointer
            if let known = storages[storage.key] {
                guard storageTypes[storage.key] == storage.dtype else {
                    throw fail(.storageDTypeConflict(key: storage.key, first: storageTypes[storage.key]!, second: storage.dtype))
                }
                contents = known
            } else {
                let record = "\(archiveName)/data/\(storage.key)"
                guard let entry = archive.entry(named: record) else { throw fail(.missingStorage(key: storage.key, record: record)) }
                contents = try archive.contents(of: entry)
                storages[storage.key] = contents
                storageTypes[storage.key] = storage.dtype
            }
            // The record's size fixes the storage's element count: every reference must agree with it.
            let expected = storage.dtype.byteCount(elements: storage.elementCount)
            guard expected == contents.count else {
                throw fail(.storageSize(key: storage.key, expectedBytes: expected, actualBytes: contents.count))
            }
            specs[name] = spec
        }
        self.specs = specs
        self.storages = storages
        names = specs.keys.sorted()
    }

    /// A pickle (the pre-1.6 format starts with one) or a tar archive (the oldest format).
    private static func isLegacy(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if bytes.first == 0x80 { return true }
        return bytes.count >= 262 && Array(bytes[257..<262]) == Array("ustar".utf8)
    }

    public var mapping: MappedFile? { owner as? MappedFile }

    public func info(_ name: String) -> TensorInfo? {
        specs[name].map { TensorInfo(name: name, dtype: $0.storage.dtype, shape: $0.shape) }
    }

    /// The tensor `name`: a view into the mapping when contiguous, otherwise a contiguous copy.
    public func tensor(_ name: String) throws -> Tensor {
        guard let spec = specs[name] else { throw WeightIOError.missingTensor(name: name, source: path) }
        return spec.tensor(over: storages[spec.storage.key]!, owner: owner)
    }
}
