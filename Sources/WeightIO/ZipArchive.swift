/// A minimal read-only ZIP archive over bytes in memory (typically a `MappedFile`): the
/// end-of-central-directory record (ZIP64 included), the central directory and local headers.
/// Only stored (uncompressed) entries can be read, as zero-copy slices of the bytes; that is how
/// `torch.save` writes its archives. Every offset and size is checked against the file before it
/// is used, so a corrupt or truncated archive is a `WeightIOError.zip`, never a crash.
public struct ZipArchive: @unchecked Sendable {
    /// One file of the archive, as its central directory describes it.
    public struct Entry: Sendable, Equatable {
        public let name: String
        /// Compression method: 0 stored, 8 deflate, …
        public let method: UInt16
        /// General-purpose flags (bit 0: encrypted; bit 3: sizes in a data descriptor).
        public let flags: UInt16
        public let crc32: UInt32
        public let compressedSize: Int
        public let uncompressedSize: Int
        /// Offset of the entry's local header from the start of the file.
        public let localHeaderOffset: Int
    }

    /// The archive's path (for messages).
    public let path: String
    /// Entries in central-directory order.
    public let entries: [Entry]
    private let indexByName: [String: Int]
    private let bytes: UnsafeRawBufferPointer
    /// Where the central directory starts: entry data must end before it.
    private let centralDirectoryOffset: Int
    private let owner: AnyObject?

    /// Reads the directory of the archive in `file`, which the archive keeps alive.
    public init(file: MappedFile) throws {
        try self.init(bytes: file.bytes, path: file.path, owner: file)
    }

    /// Reads the directory of the archive in `bytes`, which must stay valid while `owner` lives.
    init(bytes: UnsafeRawBufferPointer, path: String, owner: AnyObject?) throws {
        self.bytes = bytes
        self.path = path
        self.owner = owner
        let directory = try Self.findCentralDirectory(bytes, path: path)
        centralDirectoryOffset = directory.offset
        entries = try Self.readEntries(bytes, directory: directory, path: path)
        var index: [String: Int] = [:]
        for (i, entry) in entries.enumerated() {
            guard index.updateValue(i, forKey: entry.name) == nil else {
                throw WeightIOError.zip(path: path, problem: .duplicateEntry(entry.name))
            }
        }
        indexByName = index
    }

    /// The entry called `name`, if any.
    public func entry(named name: String) -> Entry? { indexByName[name].map { entries[$0] } }

    /// The bytes of the stored entry `name` (valid while the archive's owner lives).
    public func contents(of name: String) throws -> UnsafeRawBufferPointer {
        guard let entry = entry(named: name) else { throw WeightIOError.zip(path: path, problem: .missingEntry(name)) }
        return try contents(of: entry)
    }

    /// The bytes of a stored entry: its local header is checked and its data must lie before the
    /// central directory. Compressed or encrypted entries are errors.
    public func contents(of entry: Entry) throws -> UnsafeRawBufferPointer {
        func bad(_ detail: String) -> WeightIOError { .zip(path: path, problem: .badEntry(entry: entry.name, detail: detail)) }
        guard entry.flags & 1 == 0 else { throw WeightIOError.zip(path: path, problem: .encrypted(entry: entry.name)) }
        guard entry.method == 0 else { throw WeightIOError.zip(path: path, problem: .compressed(entry: entry.name, method: entry.method)) }
        guard entry.compressedSize == entry.uncompressedSize else {
            throw bad("stored entry has compressed size \(entry.compressedSize) but size \(entry.uncompressedSize)")
        }
        let header = entry.localHeaderOffset
        let limit = centralDirectoryOffset
        guard header <= limit, limit - header >= 30 else { throw bad("local header at \(header) is not before the central directory at \(limit)") }
        guard bytes.u32(header) == 0x0403_4B50 else { throw bad("no local header signature at \(header)") }
        let nameLength = Int(bytes.u16(header + 26)), extraLength = Int(bytes.u16(header + 28))
        let dataStart = header + 30 + nameLength + extraLength
        guard dataStart <= limit, entry.uncompressedSize <= limit - dataStart else {
            throw bad("data of \(entry.uncompressedSize) bytes at \(dataStart) runs past the central directory at \(limit)")
        }
        let localName = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(header + 30)..<(header + 30 + nameLength)]), as: UTF8.self)
        guard localName == entry.name else { throw bad("local header names '\(localName)'") }
        return UnsafeRawBufferPointer(rebasing: bytes[dataStart..<(dataStart + entry.uncompressedSize)])
    }

    // MARK: - Directory

    private struct Directory {
        var offset: Int
        var size: Int
        var count: Int
    }

    private static let sentinel16: UInt16 = 0xFFFF
    private static let sentinel32: UInt32 = 0xFFFF_FFFF

    /// Finds the end-of-central-directory record (the last one whose comment reaches exactly to
    /// the end of the file) and, when a ZIP64 locator precedes it, the ZIP64 record.
    private static func findCentralDirectory(_ bytes: UnsafeRawBufferPointer, path: String) throws -> Directory {
        func fail(_ problem: ZipProblem) -> WeightIOError { .zip(path: path, problem: problem) }
        let size = bytes.count
        guard size >= 22 else { throw fail(.noEndOfCentralDirectory) }
        var found: Int?
        var candidate = size - 22
        let lowest = max(0, size - 22 - 0xFFFF)
        while candidate >= lowest {
            if bytes.u32(candidate) == 0x0605_4B50, candidate + 22 + Int(bytes.u16(candidate + 20)) == size {
                found = candidate
                break
            }
            candidate -= 1
        }
        guard let eocd = found else { throw fail(.noEndOfCentralDirectory) }
        var disk = UInt64(bytes.u16(eocd + 4)), directoryDisk = UInt64(bytes.u16(eocd + 6))
        var countOnDisk = UInt64(bytes.u16(eocd + 8)), count = UInt64(bytes.u16(eocd + 10))
        var directorySize = UInt64(bytes.u32(eocd + 12)), directoryOffset = UInt64(bytes.u32(eocd + 16))
        var directoryLimit = eocd

        let locator = eocd - 20
        if locator >= 0, bytes.u32(locator) == 0x0706_4B50 {
            guard bytes.u32(locator + 4) == 0, bytes.u32(locator + 16) <= 1 else { throw fail(.multipleDisks) }
            let recordOffset = bytes.u64(locator + 8)
            guard locator >= 56, recordOffset <= UInt64(locator - 56) else {
                throw fail(.badZip64Record("record offset \(recordOffset) does not leave 56 bytes before the locator at \(locator)"))
            }
            let record = Int(recordOffset)
            guard bytes.u32(record) == 0x0606_4B50 else { throw fail(.badZip64Record("no signature at \(record)")) }
            disk = UInt64(bytes.u32(record + 16))
            directoryDisk = UInt64(bytes.u32(record + 20))
            countOnDisk = bytes.u64(record + 24)
            count = bytes.u64(record + 32)
            directorySize = bytes.u64(record + 40)
            directoryOffset = bytes.u64(record + 48)
            directoryLimit = record
        }
        guard disk == 0, directoryDisk == 0, countOnDisk == count else { throw fail(.multipleDisks) }
        guard directoryOffset <= UInt64(directoryLimit), directorySize <= UInt64(directoryLimit) - directoryOffset else {
            throw fail(.badCentralDirectory("\(directorySize) bytes at offset \(directoryOffset) run past \(directoryLimit)"))
        }
        // Each entry takes at least 46 bytes: this bounds the count before anything is allocated.
        guard count <= directorySize / 46 else {
            throw fail(.badCentralDirectory("\(count) entries cannot fit in \(directorySize) bytes"))
        }
        return Directory(offset: Int(directoryOffset), size: Int(directorySize), count: Int(count))
    }

    private static func readEntries(_ bytes: UnsafeRawBufferPointer, directory: Directory, path: String) throws -> [Entry] {
        func bad(_ i: Int, _ detail: String) -> WeightIOError {
            .zip(path: path, problem: .badCentralDirectory("entry \(i): \(detail)"))
        }
        var entries: [Entry] = []
        entries.reserveCapacity(directory.count)
        var p = directory.offset
        let end = directory.offset + directory.size
        for i in 0..<directory.count {
            guard end - p >= 46 else { throw bad(i, "header runs past the end of the directory") }
            guard bytes.u32(p) == 0x0201_4B50 else { throw bad(i, "no signature at \(p)") }
            let nameLength = Int(bytes.u16(p + 28)), extraLength = Int(bytes.u16(p + 30)), commentLength = Int(bytes.u16(p + 32))
            guard end - p - 46 >= nameLength + extraLength + commentLength else {
                throw bad(i, "name, extra field and comment run past the end of the directory")
            }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(p + 46)..<(p + 46 + nameLength)]), as: UTF8.self)
            var uncompressed = UInt64(bytes.u32(p + 24)), compressed = UInt64(bytes.u32(p + 20))
            var offset = UInt64(bytes.u32(p + 42))
            var startDisk = UInt64(bytes.u16(p + 34))
            // ZIP64 extended information: 8-byte values for exactly the fields saturated above, in order.
            var needs = [uncompressed == UInt64(sentinel32), compressed == UInt64(sentinel32),
                         offset == UInt64(sentinel32), startDisk == UInt64(sentinel16)]
            var q = p + 46 + nameLength
            let extraEnd = q + extraLength
            while extraEnd - q >= 4 {
                let id = bytes.u16(q), size = Int(bytes.u16(q + 2))
                guard extraEnd - q - 4 >= size else { throw bad(i, "extra field \(id) runs past its area") }
                if id == 0x0001 {
                    let field = UnsafeRawBufferPointer(rebasing: bytes[(q + 4)..<(q + 4 + size)])
                    var r = 0
                    func take(_ width: Int, _ what: String) throws -> UInt64 {
                        guard field.count - r >= width else { throw bad(i, "ZIP64 extra field lacks the \(what)") }
                        defer { r += width }
                        return width == 8 ? field.u64(r) : UInt64(field.u32(r))
                    }
                    if needs[0] { uncompressed = try take(8, "size"); needs[0] = false }
                    if needs[1] { compressed = try take(8, "compressed size"); needs[1] = false }
                    if needs[2] { offset = try take(8, "local header offset"); needs[2] = false }
                    if needs[3] { startDisk = try take(4, "disk number"); needs[3] = false }
                }
                q += 4 + size
            }
            guard !needs.contains(true) else { throw bad(i, "saturated sizes or offset but no ZIP64 extra field") }
            guard startDisk == 0 else { throw WeightIOError.zip(path: path, problem: .multipleDisks) }
            guard let u = Int(exactly: uncompressed), let c = Int(exactly: compressed), let o = Int(exactly: offset) else {
                throw bad(i, "size or offset beyond \(Int.max)")
            }
            entries.append(Entry(name: name, method: bytes.u16(p + 10), flags: bytes.u16(p + 8), crc32: bytes.u32(p + 16),
                                 compressedSize: c, uncompressedSize: u, localHeaderOffset: o))
            p += 46 + nameLength + extraLength + commentLength
        }
        return entries
    }
}

/// Little-endian reads; callers check bounds first.
extension UnsafeRawBufferPointer {
    fileprivate func u16(_ offset: Int) -> UInt16 { UInt16(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self)) }
    fileprivate func u32(_ offset: Int) -> UInt32 { UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    fileprivate func u64(_ offset: Int) -> UInt64 { UInt64(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
}
