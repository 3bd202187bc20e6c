import CKernels

/// Why a GGUF file was refused: one line naming the file and the problem.
public struct GGUFError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let problem: String
    public var description: String { "\(path): \(problem)" }

    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }
}

/// A GGUF file (versions 2 and 3, little-endian), memory-mapped and validated when opened, as
/// ggml's `gguf.c` reads it: the header, every metadata key and value (all thirteen value types,
/// nested arrays), the tensor infos, `general.alignment` (default 32) and the data section. Every
/// count, string length and tensor extent is checked against the bytes the file has before
/// anything is allocated for it; tensor data stays in the mapping.
public final class GGUFFile: @unchecked Sendable {
    /// One tensor's entry: name, type, ggml's dimensions (`ne`, fastest first) and where its
    /// bytes are.
    public struct TensorEntry: Sendable, Equatable {
        public let name: String
        public let type: GGUFTensorType
        /// ggml order: `dimensions[0]` is the contiguous one.
        public let dimensions: [Int]
        /// Offset of the data from the start of the data section.
        public let offset: Int
        public let byteCount: Int

        /// Row-major shape (`dimensions` reversed), as a safetensors file would give it.
        public var shape: [Int] { dimensions.reversed() }
        public var elementCount: Int { dimensions.reduce(1, *) }
    }

    /// Largest number of dimensions (ggml's `GGML_MAX_DIMS`).
    public static let maxDimensions = 4
    /// Most elements in one tensor accepted (2^48; bounds every size computed from the dimensions).
    public static let maxElements = 1 << 48
    /// Deepest nesting of arrays accepted.
    public static let maxArrayDepth = 4

    public var path: String { file.path }
    public let version: UInt32
    /// Metadata in file order.
    public let metadata: [(key: String, value: GGUFValue)]
    /// Tensors in file order.
    public let tensors: [TensorEntry]
    public let alignment: Int
    /// Where the data section starts in the file.
    public let dataStart: Int
    let file: MappedFile
    private let byName: [String: Int]
    private let metadataIndex: [String: Int]

    public init(path: String) throws {
        file = try MappedFile(path: path)
        var reader = GGUFReader(bytes: file.bytes, path: path)
        guard file.bytes.count >= 4, try reader.bytes(4) == Array("GGUF".utf8) else {
            throw GGUFError(path: path, problem: "not a GGUF file (the magic is not \"GGUF\")")
        }
        version = try reader.scalar(UInt32.self, "the version")
        guard version == 2 || version == 3 else {
            throw GGUFError(path: path, problem: "GGUF version \(version) is not supported (2 and 3 are)")
        }
        let tensorCount = try reader.count("the tensor count", minimumBytesEach: 8 + 4 + 8 + 4 + 8)
        let keyCount = try reader.count("the metadata count", minimumBytesEach: 8 + 4 + 1)
        var metadata: [(key: String, value: GGUFValue)] = [], metadataIndex: [String: Int] = [:]
        for _ in 0..<keyCount {
            let key = try reader.string("a metadata key")
            guard metadataIndex[key] == nil else { throw GGUFError(path: path, problem: "metadata key \(key) appears twice") }
            let type = try reader.scalar(UInt32.self, "the type of \(key)")
            metadataIndex[key] = metadata.count
            metadata.append((key, try reader.value(type: type, key: key, depth: 0)))
        }
        var alignment = 32
        if let index = metadataIndex["general.alignment"] {
            guard case .uint32(let value) = metadata[index].value, value > 0, value & (value - 1) == 0 else {
                throw GGUFError(path: path, problem: "general.alignment must be a uint32 power of two, found \(metadata[index].value)")
            }
            alignment = Int(value)
        }
        var infos: [(name: String, type: GGUFTensorType, dimensions: [Int], offset: UInt64)] = [], byName: [String: Int] = [:]
        for _ in 0..<tensorCount {
            let name = try reader.string("a tensor name")
            guard byName[name] == nil else { throw GGUFError(path: path, problem: "tensor \(name) appears twice") }
            let rank = try reader.scalar(UInt32.self, "the rank of \(name)")
            guard rank >= 1, rank <= UInt32(Self.maxDimensions) else {
                throw GGUFError(path: path, problem: "tensor \(name) has \(rank) dimensions (1 to \(Self.maxDimensions) allowed)")
            }
            var dimensions: [Int] = [], elements = 1
            for _ in 0..<rank {
                let raw = try reader.scalar(UInt64.self, "a dimension of \(name)")
                let (product, overflow) = elements.multipliedReportingOverflow(by: Int(clamping: raw))
                guard raw >= 1, raw <= UInt64(Int.max), !overflow, product <= Self.maxElements else {
                    throw GGUFError(path: path, problem: "tensor \(name) has an impossible dimension \(raw)")
                }
                dimensions.append(Int(raw))
                elements = product
            }
            let number = try reader.scalar(UInt32.self, "the type of \(name)")
            guard let type = GGUFTensorType(rawValue: number) else {
                throw GGUFError(path: path, problem: "tensor \(name) has the unknown ggml type \(number)")
            }
            guard dimensions[0] % type.blockElements == 0 else {
                throw GGUFError(path: path, problem: "tensor \(name): its first dimension \(dimensions[0]) is not a multiple of \(type)'s block of \(type.blockElements)")
            }
            let offset = try reader.scalar(UInt64.self, "the offset of \(name)")
            byName[name] = infos.count
            infos.append((name, type, dimensions, offset))
        }
        let headerEnd = reader.position
        dataStart = (headerEnd + alignment - 1) / alignment * alignment
        guard dataStart <= file.bytes.count || infos.isEmpty else {
            throw GGUFError(path: path, problem: "truncated: the data section would start at byte \(dataStart) of \(file.bytes.count)")
        }
        let dataSize = max(0, file.bytes.count - dataStart)
        tensors = try infos.map { info in
            let bytes = info.type.byteCount(dimensions: info.dimensions)
            guard info.offset % UInt64(alignment) == 0 else {
                throw GGUFError(path: path, problem: "tensor \(info.name): its offset \(info.offset) is not a multiple of the alignment \(alignment)")
            }
            guard info.offset <= UInt64(dataSize), UInt64(bytes) <= UInt64(dataSize) - info.offset else {
                throw GGUFError(path: path, problem: "tensor \(info.name): bytes \(info.offset)..<\(info.offset + UInt64(bytes)) lie past the end of the data section (\(dataSize) bytes)")
            }
            return TensorEntry(name: info.name, type: info.type, dimensions: info.dimensions, offset: Int(info.offset), byteCount: bytes)
        }
        self.alignment = alignment
        self.metadata = metadata
        self.metadataIndex = metadataIndex
        self.byName = byName
    }

    /// The value of metadata `key`, if present.
    public subscript(key: String) -> GGUFValue? { metadataIndex[key].map { metadata[$0].value } }

    /// The entry of tensor `name`, if present.
    public func tensor(named name: String) -> TensorEntry? { byName[name].map { tensors[$0] } }

    /// The stored bytes of `tensor` (a view into the mapping, valid while this file lives).
    public func bytes(of tensor: TensorEntry) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: file.bytes[(dataStart + tensor.offset)..<(dataStart + tensor.offset + tensor.byteCount)])
    }
}

/// A bounds-checked little-endian cursor over a GGUF file's bytes.
struct GGUFReader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    private(set) var position = 0

    init(bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }

    var remaining: Int { bytes.count - position }

    func truncated(_ what: String) -> GGUFError {
        GGUFError(path: path, problem: "truncated: \(what) would run past the end of the file (\(bytes.count) bytes)")
    }

    mutating func bytes(_ count: Int) throws -> [UInt8] {
        guard count <= remaining else { throw truncated("\(count) bytes at \(position)") }
        defer { position += count }
        return Array(bytes[position..<(position + count)])
    }

    mutating func scalar<T: FixedWidthInteger>(_: T.Type, _ what: String) throws -> T {
        guard MemoryLayout<T>.size <= remaining else { throw truncated(what) }
        defer { position += MemoryLayout<T>.size }
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: T.self))
    }

    /// A count that the rest of the file could hold, given each item takes at least `minimumBytesEach`.
    mutating func count(_ what: String, minimumBytesEach: Int) throws -> Int {
        let raw = try scalar(UInt64.self, what)
        guard raw <= UInt64(remaining / max(minimumBytesEach, 1)) else {
            throw GGUFError(path: path, problem: "\(what) \(raw) cannot fit in the \(remaining) bytes left")
        }
        return Int(raw)
    }

    mutating func string(_ what: String) throws -> String {
        let length = try scalar(UInt64.self, "the length of \(what)")
        guard length <= UInt64(remaining) else {
            throw GGUFError(path: path, problem: "\(what) claims \(length) bytes, more than the \(remaining) left")
        }
        let raw = try bytes(Int(length))
        guard let text = String(validating: raw, as: UTF8.self) else { throw GGUFError(path: path, problem: "\(what) is not valid UTF-8") }
        return text
    }

    /// Smallest encoding of a value of GGUF type `type` (for bounding array counts).
    static func minimumBytes(of type: UInt32) -> Int {
        switch type {
        case 0, 1, 7: return 1
        case 2, 3: return 2
        case 4, 5, 6: return 4
        case 8: return 8
        case 9: return 12
        default: return 8
        }
    }

    mutating func value(type: UInt32, key: String, depth: Int) throws -> GGUFValue {
        switch type {
        case 0: return .uint8(try scalar(UInt8.self, key))
        case 1: return .int8(try scalar(Int8.self, key))
        case 2: return .uint16(try scalar(UInt16.self, key))
        case 3: return .int16(try scalar(Int16.self, key))
        case 4: return .uint32(try scalar(UInt32.self, key))
        case 5: return .int32(try scalar(Int32.self, key))
        case 6: return .float32(Float(bitPattern: try scalar(UInt32.self, key)))
        case 7:
            let raw = try scalar(UInt8.self, key)
            guard raw <= 1 else { throw GGUFError(path: path, problem: "\(key): a bool of value \(raw)") }
            return .bool(raw == 1)
        case 8: return .string(try string("the value of \(key)"))
        case 9:
            guard depth < GGUFFile.maxArrayDepth else { throw GGUFError(path: path, problem: "\(key): arrays nested deeper than \(GGUFFile.maxArrayDepth)") }
            let elementType = try scalar(UInt32.self, "the element type of \(key)")
            guard elementType <= 12 else { throw GGUFError(path: path, problem: "\(key): an array of the unknown value type \(elementType)") }
            let count = try self.count("the element count of \(key)", minimumBytesEach: Self.minimumBytes(of: elementType))
            var elements: [GGUFValue] = []
            elements.reserveCapacity(count)
            for _ in 0..<count { elements.append(try value(type: elementType, key: key, depth: depth + 1)) }
            return .array(type: elementType, elements)
        case 10: return .uint64(try scalar(UInt64.self, key))
        case 11: return .int64(try scalar(Int64.self, key))
        case 12: return .float64(Double(bitPattern: try scalar(UInt64.self, key)))
        default: throw GGUFError(path: path, problem: "\(key) has the unknown value type \(type)")
        }
    }
}

extension GGUFFile {
    /// Types `floats(of:)` decodes: the plain floats and the block formats people download
    /// (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K, Q8_K).
    public static let decodableTypes: Set<GGUFTensorType> = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q4_K, .q5_K, .q6_K, .q8_K]

    /// `tensor`'s values as f32, dequantized exactly as ggml does (row-major, `tensor.shape`).
    public func floats(of tensor: TensorEntry) throws -> [Float] {
        guard Self.decodableTypes.contains(tensor.type) else {
            throw GGUFError(path: path, problem: "tensor \(tensor.name) is \(tensor.type), which this tool does not read")
        }
        let source = bytes(of: tensor)
        var values = [Float](repeating: 0, count: tensor.elementCount)
        let status = values.withUnsafeMutableBufferPointer { pd_dequantize(tensor.type.rawValue, source.baseAddress, $0.baseAddress, tensor.elementCount) }
        guard status == 0 else { throw GGUFError(path: path, problem: "tensor \(tensor.name): \(tensor.type) could not be decoded") }
        return values
    }
}
