import Tensors

/// One `.safetensors` file, memory-mapped and fully validated when opened (see the safetensors
/// specification): tensors are returned as zero-copy views into the mapping.
public final class SafeTensorsFile: @unchecked Sendable {
    /// Where a tensor lives in the file.
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let dtype: DType
        public let shape: [Int]
        /// Byte range relative to the start of the data area.
        public let range: Range<Int>
    }

    /// Largest header accepted (as the reference implementation).
    public static let maxHeaderLength = 100_000_000

    /// The file's path.
    public var path: String { file.path }
    /// `__metadata__` (string → string), empty if absent.
    public let metadata: [String: String]
    /// Entries by tensor name.
    public let entries: [String: Entry]
    /// Tensor names, sorted.
    public let names: [String]
    let file: MappedFile
    private let dataStart: Int

    /// Maps and validates the file at `path`. Every structural problem is a `WeightIOError` naming
    /// the file (and the tensor, where there is one).
    public init(path: String) throws {
        file = try MappedFile(path: path)
        let bytes = file.bytes
        guard bytes.count >= 8 else {
            throw WeightIOError.truncated(path: path, detail: "\(bytes.count) bytes, fewer than the 8-byte header length")
        }
        let headerLength = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard headerLength <= UInt64(Self.maxHeaderLength) else {
            throw WeightIOError.headerTooLarge(path: path, length: headerLength, limit: Self.maxHeaderLength)
        }
        guard 8 + Int(headerLength) <= bytes.count else {
            throw WeightIOError.headerBeyondFile(path: path, headerLength: headerLength, fileSize: bytes.count)
        }
        dataStart = 8 + Int(headerLength)
        let header = try Self.parseHeader(UnsafeRawBufferPointer(rebasing: bytes[8..<dataStart]), path: path)
        (metadata, entries) = try Self.validate(header, dataAreaSize: bytes.count - dataStart, path: path)
        names = entries.keys.sorted()
    }

    /// The tensor `name` as a read-only view into the mapping.
    public func tensor(_ name: String) throws -> Tensor {
        guard let entry = entries[name] else { throw WeightIOError.missingTensor(name: name, source: path) }
        return Tensor(viewing: file.bytes.baseAddress! + dataStart + entry.range.lowerBound,
                      byteCount: entry.range.count, dtype: entry.dtype, shape: entry.shape, owner: file)
    }

    private static func parseHeader(_ raw: UnsafeRawBufferPointer, path: String) throws -> [String: JSON] {
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw WeightIOError.invalidHeader(path: path, reason: "header is not valid UTF-8")
        }
        let json: JSON
        do {
            json = try JSON.parse(text, source: path)
        } catch WeightIOError.invalidJSON(_, let reason) {
            throw WeightIOError.invalidHeader(path: path, reason: "not valid JSON: \(reason)")
        } catch WeightIOError.duplicateKey(_, let key) {
            throw WeightIOError.invalidHeader(path: path, reason: "duplicate key '\(key)'")
        }
        guard case .object(let members) = json else {
            throw WeightIOError.invalidHeader(path: path, reason: "header is \(json.kindName), expected a JSON object")
        }
        return members
    }

    private static func validate(_ header: [String: JSON], dataAreaSize: Int, path: String) throws
        -> ([String: String], [String: Entry]) {
        var metadata: [String: String] = [:]
        var entries: [String: Entry] = [:]
        // Sorted, so that a file with several problems always reports the same one.
        for name in header.keys.sorted() {
            let value = header[name]!
            if name == "__metadata__" {
                if value == .null { continue }  // as the reference implementation (an Option)
                guard case .object(let members) = value else {
                    throw WeightIOError.invalidHeader(path: path, reason: "__metadata__ is \(value.kindName), expected an object of strings")
                }
                for key in members.keys.sorted() {
                    let item = members[key]!
                    guard let string = item.stringValue else {
                        throw WeightIOError.invalidHeader(path: path, reason: "__metadata__.\(key) is \(item.kindName), expected a string")
                    }
                    metadata[key] = string
                }
                continue
            }
            entries[name] = try entry(name, value, path: path)
        }
        // The tensors must tile the data area: sorted by offset, each starts where the last ended.
        var expectedBegin = 0
        for entry in entries.values.sorted(by: { ($0.range.lowerBound, $0.range.upperBound, $0.name) < ($1.range.lowerBound, $1.range.upperBound, $1.name) }) {
            guard entry.range.lowerBound == expectedBegin else {
                throw WeightIOError.layoutGapOrOverlap(path: path, tensor: entry.name, expectedBegin: expectedBegin,
                                                       actualBegin: entry.range.lowerBound)
            }
            expectedBegin = entry.range.upperBound
        }
        guard expectedBegin == dataAreaSize else {
            throw WeightIOError.dataSizeMismatch(path: path, dataEnd: expectedBegin, dataAreaSize: dataAreaSize)
        }
        return (metadata, entries)
    }

    private static func entry(_ name: String, _ value: JSON, path: String) throws -> Entry {
        func bad(_ reason: String) -> WeightIOError { .invalidHeader(path: path, reason: "tensor '\(name)': \(reason)") }
        guard case .object(let fields) = value else { throw bad("entry is \(value.kindName), expected an object") }
        guard let dtypeName = fields["dtype"]?.stringValue else { throw bad("missing string field 'dtype'") }
        guard let dtype = DType(rawValue: dtypeName), dtype.isSafetensorsType else {
            throw WeightIOError.unknownDType(path: path, tensor: name, dtype: dtypeName)
        }
        guard let shapeItems = fields["shape"]?.arrayValue else { throw bad("missing array field 'shape'") }
        let shape = try shapeItems.map { item -> Int in
            guard case .int(let d) = item, d >= 0 else { throw bad("shape \(shapeItems.map(\.description)) must hold non-negative integers") }
            return d
        }
        guard let offsetItems = fields["data_offsets"]?.arrayValue, offsetItems.count == 2,
              case .int(let begin) = offsetItems[0], case .int(let end) = offsetItems[1], begin >= 0, end >= begin else {
            throw bad("'data_offsets' must be [begin, end] with 0 ≤ begin ≤ end")
        }
        var elements = 1
        for d in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: d)
            guard !overflow else { throw WeightIOError.shapeOverflow(path: path, tensor: name, shape: shape) }
            elements = product
        }
        guard let byteCount = dtype.byteCount(elements: elements) else {
            throw WeightIOError.shapeOverflow(path: path, tensor: name, shape: shape)
        }
        guard byteCount == end - begin else {
            throw WeightIOError.byteCountMismatch(path: path, tensor: name, expected: byteCount, actual: end - begin)
        }
        return Entry(name: name, dtype: dtype, shape: shape, range: begin..<end)
    }
}
