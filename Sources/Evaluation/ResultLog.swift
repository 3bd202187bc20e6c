import Foundation
#if canImport(Glibc)
import Glibc
#endif
import WeightIO

/// A shard's results file: one JSON record per line, appended and fsync'd line by line, so a kill
/// loses at most the line being written. Opening it reads what is there; a last line without its
/// newline (torn by a kill) is cut off and redone, and a complete line that is not a record fails
/// naming its line number.
public final class ResultLog {
    public let path: String
    /// The records already in the file when it was opened, and those appended since.
    public private(set) var records: [EvalRecord] = []
    /// Whether opening cut off a torn last line.
    public private(set) var repairedTornLine = false
    private let fd: Int32

    public init(path: String) throws {
        self.path = path
        fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw EvaluationError.invalid("\(path): cannot open for appending (\(String(cString: strerror(errno))))") }
        do {
            try load()
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    private func load() throws {
        let contents = try Self.parse(path)
        records = contents.records
        guard contents.completeBytes < contents.fileBytes else { return }
        guard ftruncate(fd, off_t(contents.completeBytes)) == 0, fsync(fd) == 0 else {
            throw EvaluationError.invalid("\(path): cannot cut off the torn last line (\(String(cString: strerror(errno))))")
        }
        repairedTornLine = true
    }

    /// The records of a results file without changing it, and whether its last line is torn
    /// (a shard still running, or killed).
    public static func read(_ path: String) throws -> (records: [EvalRecord], tornLastLine: Bool) {
        let contents = try parse(path)
        return (contents.records, contents.completeBytes < contents.fileBytes)
    }

    /// The records of the file's complete lines, the bytes those lines take, and the file's size.
    private static func parse(_ path: String) throws -> (records: [EvalRecord], completeBytes: Int, fileBytes: Int) {
        let bytes = try FileBytes.read(path)
        let complete = bytes.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        var records: [EvalRecord] = [], line = 0
        for text in bytes[..<complete].split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast() {
            line += 1
            do {
                records.append(try EvalRecord(json: try JSON.parse(String(decoding: text, as: UTF8.self), source: "\(path):\(line)")))
            } catch {
                throw EvaluationError.malformedLine(file: path, line: line, problem: "not a result record (\(error))")
            }
        }
        return (records, complete, bytes.count)
    }

    /// Appends `record` as one line and waits until it is on disk.
    public func append(_ record: EvalRecord) throws {
        let bytes = Array((record.json.serialized() + "\n").utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw EvaluationError.invalid("\(path): write failed (\(String(cString: strerror(errno))))") }
            written += n
        }
        guard fsync(fd) == 0 else { throw EvaluationError.invalid("\(path): fsync failed (\(String(cString: strerror(errno))))") }
        records.append(record)
    }
}
