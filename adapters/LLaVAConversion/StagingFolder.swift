import Foundation

/// A hidden temporary folder beside a destination (`.NAME.partial-XXXXXX` in the same parent, so
/// the final rename never crosses file systems). Everything is written there; `install()` renames
/// it to the destination only when complete, `discard()` removes it. An existing destination is
/// replaced only by `install()`, after the new folder is complete: it is moved aside, the new one
/// renamed into place, then the old one deleted.
final class StagingFolder {
    /// The destination (absolute).
    let destination: String
    /// The temporary folder (absolute).
    let path: String
    private var finished = false

    /// Creates the temporary folder; the parent of `destination` is created if needed. An
    /// existing destination is an error unless `overwrite`.
    init(destination: String, overwrite: Bool) throws {
        let url = URL(fileURLWithPath: destination).standardizedFileURL
        self.destination = url.path
        if Self.exists(url.path), !overwrite { throw ConversionError.destinationExists(path: url.path) }
        let parent = url.deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw ConversionError.fileOperation(path: parent, reason: "cannot create the folder: \(error.localizedDescription)")
        }
        var template = Array("\(parent)/.\(url.lastPathComponent).partial-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard created != nil else {
            throw ConversionError.fileOperation(path: parent, reason: "cannot create a temporary folder: \(String(cString: strerror(errno)))")
        }
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        chmod(path, 0o755)
    }

    /// Creates a sub-folder of the temporary folder and returns its path.
    func subfolder(_ name: String) throws -> String {
        let sub = path + "/" + name
        do {
            try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        } catch {
            throw ConversionError.fileOperation(path: sub, reason: "cannot create the folder: \(error.localizedDescription)")
        }
        return sub
    }

    /// Renames the finished folder to the destination (replacing an existing one if allowed).
    func install(overwrite: Bool) throws {
        let old = path + ".old"
        var movedAside = false
        if Self.exists(destination) {
            guard overwrite else { throw ConversionError.destinationExists(path: destination) }
            guard rename(destination, old) == 0 else {
                throw ConversionError.fileOperation(path: destination, reason: "cannot move the old folder aside: \(String(cString: strerror(errno)))")
            }
            movedAside = true
        }
        guard rename(path, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            if movedAside { rename(old, destination) }
            throw ConversionError.fileOperation(path: destination, reason: "cannot rename \(path) into place: \(reason)")
        }
        finished = true
        syncParent()
        if movedAside { try? FileManager.default.removeItem(atPath: old) }
    }

    /// Removes the temporary folder (after a failure).
    func discard() {
        guard !finished else { return }
        try? FileManager.default.removeItem(atPath: path)
        finished = true
    }

    deinit { discard() }

    private func syncParent() {
        let fd = open(URL(fileURLWithPath: destination).deletingLastPathComponent().path, O_RDONLY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    /// Whether anything (file, folder or dangling link) is at `path`.
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }
}
