import Foundation

/// A file being written to a temporary path beside its destination; `AtomicFile.write` renames it
/// into place only when the writer finished without error, and removes it otherwise.
public final class AtomicFile {
    /// The final destination.
    public let path: String
    private let temporaryPath: String
    private let fd: Int32
    /// Bytes written so far.
    public private(set) var offset: Int = 0

    private init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var template = Array("\(folder)/.\(url.lastPathComponent).tmp-XXXXXX".utf8CString)
        fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw WeightIOError.writeFailed(path: path, reason: "cannot create a temporary file in \(folder): \(String(cString: strerror(errno)))")
        }
        temporaryPath = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Appends `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw WeightIOError.writeFailed(path: path, reason: String(cString: strerror(errno)))
            }
            done += n
        }
        offset += done
    }

    /// Appends `bytes`.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Runs `body` on a new temporary file beside `path`, then flushes it to disk and renames it to
    /// `path` (mode 0644). If `body` throws, the temporary file is removed and `path` is untouched.
    public static func write(to path: String, _ body: (AtomicFile) throws -> Void) throws {
        let file = try AtomicFile(path: path)
        var committed = false
        defer {
            if !committed { unlink(file.temporaryPath) }
        }
        do {
            try body(file)
            guard fsync(file.fd) == 0 else {
                throw WeightIOError.writeFailed(path: path, reason: "fsync: \(String(cString: strerror(errno)))")
            }
            fchmod(file.fd, 0o644)
        } catch {
            close(file.fd)
            throw error
        }
        close(file.fd)
        guard rename(file.temporaryPath, path) == 0 else {
            throw WeightIOError.writeFailed(path: path, reason: "rename: \(String(cString: strerror(errno)))")
        }
        committed = true
    }
}
