/// Writes GGUF v3 files in the layout the `gguf` package (ggml's own writer) gives them: the
/// header, the metadata in the order given, the tensor infos, padding to the alignment, then each
/// tensor's bytes padded to the alignment. Atomic: a temporary file renamed into place.
public enum GGUFWriter {
    /// One tensor to write: ggml dimensions (`ne`, fastest first), type and stored bytes, given
    /// or made when the writer reaches the tensor (so a converter holds one tensor at a time).
    public struct Tensor {
        public let name: String
        public let type: GGUFTensorType
        public let dimensions: [Int]
        let contents: () throws -> [UInt8]

        /// `bytes` must stay valid until `write` returns.
        public init(name: String, type: GGUFTensorType, dimensions: [Int], bytes: UnsafeRawBufferPointer) {
            self.init(name: name, type: type, dimensions: dimensions) { Array(bytes) }
        }

        /// A tensor whose bytes `make` returns when the writer reaches it.
        public init(name: String, type: GGUFTensorType, dimensions: [Int], make: @escaping () throws -> [UInt8]) {
            self.name = name
            self.type = type
            self.dimensions = dimensions
            contents = make
        }
    }

    /// Writes `metadata` and `tensors` to `path`. The alignment is `general.alignment` when the
    /// metadata holds it (a uint32 power of two), else 32. Throws before writing anything for a
    /// duplicate key or tensor, a bad alignment, more than four dimensions, a first dimension that
    /// is not a whole number of blocks, or an array whose elements are not all of its element type;
    /// bytes that do not match their dimensions (or a `make` that throws) stop the write with
    /// nothing left at `path`.
    public static func write(metadata: [(key: String, value: GGUFValue)], tensors: [Tensor], to path: String) throws {
        func fail(_ problem: String) -> GGUFError { GGUFError(path: path, problem: problem) }
        guard Set(metadata.map(\.key)).count == metadata.count else { throw fail("a metadata key appears twice") }
        guard Set(tensors.map(\.name)).count == tensors.count else { throw fail("a tensor name appears twice") }
        var alignment = 32
        if let value = metadata.first(where: { $0.key == "general.alignment" })?.value {
            guard case .uint32(let a) = value, a > 0, a & (a - 1) == 0 else { throw fail("general.alignment must be a uint32 power of two") }
            alignment = Int(a)
        }
        var header: [UInt8] = Array("GGUF".utf8)
        append(UInt32(3), to: &header)
        append(UInt64(tensors.count), to: &header)
        append(UInt64(metadata.count), to: &header)
        for (key, value) in metadata {
            append(string: key, to: &header)
            append(typeNumber(value), to: &header)
            try append(value, to: &header, path: path, key: key)
        }
        var offset = 0
        for tensor in tensors {
            guard (1...GGUFFile.maxDimensions).contains(tensor.dimensions.count), tensor.dimensions.allSatisfy({ $0 >= 1 }) else {
                throw fail("tensor \(tensor.name): dimensions \(tensor.dimensions) (1 to \(GGUFFile.maxDimensions), each ≥ 1)")
            }
            guard tensor.dimensions[0] % tensor.type.blockElements == 0 else {
                throw fail("tensor \(tensor.name): first dimension \(tensor.dimensions[0]) is not a multiple of \(tensor.type)'s block of \(tensor.type.blockElements)")
            }
            let expected = tensor.type.byteCount(dimensions: tensor.dimensions)
            append(string: tensor.name, to: &header)
            append(UInt32(tensor.dimensions.count), to: &header)
            for dimension in tensor.dimensions { append(UInt64(dimension), to: &header) }
            append(tensor.type.rawValue, to: &header)
            append(UInt64(offset), to: &header)
            offset += padded(expected, alignment)
        }
        try AtomicFile.write(to: path) { file in
            try file.write(header + zeros(padded(header.count, alignment) - header.count))
            for tensor in tensors {
                let bytes = try tensor.contents(), expected = tensor.type.byteCount(dimensions: tensor.dimensions)
                guard bytes.count == expected else {
                    throw fail("tensor \(tensor.name): \(bytes.count) bytes for \(tensor.type) \(tensor.dimensions), which need \(expected)")
                }
                try file.write(bytes)
                try file.write(zeros(padded(bytes.count, alignment) - bytes.count))
            }
        }
    }

    static func padded(_ count: Int, _ alignment: Int) -> Int { (count + alignment - 1) / alignment * alignment }

    static func zeros(_ count: Int) -> [UInt8] { [UInt8](repeating: 0, count: count) }

    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    static func append(string: String, to bytes: inout [UInt8]) {
        append(UInt64(string.utf8.count), to: &bytes)
        bytes.append(contentsOf: string.utf8)
    }

    /// GGUF's number for the value's type.
    static func typeNumber(_ value: GGUFValue) -> UInt32 {
        switch value {
        case .uint8: return 0
        case .int8: return 1
        case .uint16: return 2
        case .int16: return 3
        case .uint32: return 4
        case .int32: return 5
        case .float32: return 6
        case .bool: return 7
        case .string: return 8
        case .array: return 9
        case .uint64: return 10
        case .int64: return 11
        case .float64: return 12
        }
    }

    static func append(_ value: GGUFValue, to bytes: inout [UInt8], path: String, key: String) throws {
        switch value {
        case .uint8(let v): append(v, to: &bytes)
        case .int8(let v): append(v, to: &bytes)
        case .uint16(let v): append(v, to: &bytes)
        case .int16(let v): append(v, to: &bytes)
        case .uint32(let v): append(v, to: &bytes)
        case .int32(let v): append(v, to: &bytes)
        case .uint64(let v): append(v, to: &bytes)
        case .int64(let v): append(v, to: &bytes)
        case .float32(let v): append(v.bitPattern, to: &bytes)
        case .float64(let v): append(v.bitPattern, to: &bytes)
        case .bool(let v): bytes.append(v ? 1 : 0)
        case .string(let s): append(string: s, to: &bytes)
        case .array(let type, let elements):
            guard elements.allSatisfy({ typeNumber($0) == type }) else {
                throw GGUFError(path: path, problem: "\(key): an array of \(GGUFValue.typeName(of: type)) holds another type")
            }
            append(type, to: &bytes)
            append(UInt64(elements.count), to: &bytes)
            // A nested array is its element type, count and elements, as at the top level.
            for element in elements { try append(element, to: &bytes, path: path, key: key) }
        }
    }
}
