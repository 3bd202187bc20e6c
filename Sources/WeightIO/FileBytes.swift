import Foundation

/// Small file helpers with errors that name the file.
public enum FileBytes {
    /// The whole contents of the file at `path`.
    public static func read(_ path: String) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw WeightIOError.cannotOpen(path: path, reason: FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")
        }
        defer { try? handle.close() }
        do {
            return Array(try handle.readToEnd() ?? Data())
        } catch {
            throw WeightIOError.cannotOpen(path: path, reason: "\(error.localizedDescription)")
        }
    }

    /// Writes `bytes` to `path` atomically: into a temporary file in the same folder, flushed,
    /// then renamed over `path`. Nothing is ever left half-written at `path`.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        try AtomicFile.write(to: path) { file in try file.write(bytes) }
    }
}
