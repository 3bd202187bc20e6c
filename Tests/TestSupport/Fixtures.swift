import Foundation
import Tensors
import WeightIO

/// Locates the committed test fixtures under `Tests/Fixtures`, independent of the working directory.
public enum Fixtures {
    /// `Tests/Fixtures`, found from this source file's own path.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // TestSupport
        .deletingLastPathComponent()   // Tests
        .appendingPathComponent("Fixtures", isDirectory: true)

    /// The fixture at `relativePath` (for example `"ops/linear.safetensors"`).
    public static func url(_ relativePath: String) -> URL {
        root.appendingPathComponent(relativePath)
    }

    /// The file-system path of the fixture at `relativePath`.
    public static func path(_ relativePath: String) -> String {
        url(relativePath).path
    }

    /// Every tensor of a safetensors fixture, by name (views into the mapped file).
    public static func tensors(_ relativePath: String) throws -> [String: Tensor] {
        try loadSafeTensors(path(relativePath))
    }
}

/// Every tensor of the safetensors file at `path`, by name.
public func loadSafeTensors(_ path: String) throws -> [String: Tensor] {
    let file = try SafeTensorsFile(path: path)
    var result: [String: Tensor] = [:]
    for name in file.names { result[name] = try file.tensor(name) }
    return result
}

/// Looks up `name` in a dictionary of tensors, failing with the name when it is absent.
public func tensor(_ tensors: [String: Tensor], _ name: String) throws -> Tensor {
    guard let tensor = tensors[name] else { throw FixtureError.missing(name) }
    return tensor
}

/// A fixture does not hold what a test expects.
public enum FixtureError: Error, CustomStringConvertible {
    case missing(String)
    public var description: String {
        switch self {
        case .missing(let name): return "fixture has no tensor '\(name)'"
        }
    }
}

/// Largest `|a[i] - b[i]|` (infinity when the counts differ or exactly one side is NaN at some index;
/// equal infinities count as no difference).
public func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count else { return .infinity }
    var worst: Float = 0
    for (x, y) in zip(a, b) {
        if x.isNaN || y.isNaN {
            if x.isNaN != y.isNaN { return .infinity }
            continue
        }
        if x == y { continue }  // also equal infinities
        worst = max(worst, abs(x - y))
    }
    return worst
}

/// Largest `|a − b|` between two tensors' elements (infinity when their shapes differ).
public func maxAbsDiff(_ a: Tensor, _ b: Tensor) -> Float {
    guard a.shape == b.shape else { return .infinity }
    return maxAbsDiff(a.floats, b.floats)
}

/// The first index where `|actual − expected| > absolute + relative · |expected|`, with both
/// values, or `nil` when all elements are close (NaNs must match NaNs; infinities must be equal).
public func firstMismatch(_ actual: [Float], _ expected: [Float], relative: Float, absolute: Float = 0)
    -> (index: Int, actual: Float, expected: Float)? {
    guard actual.count == expected.count else { return (-1, Float(actual.count), Float(expected.count)) }
    for i in actual.indices {
        let x = actual[i], y = expected[i]
        if x.isNaN || y.isNaN {
            if x.isNaN && y.isNaN { continue }
            return (i, x, y)
        }
        if x == y { continue }
        if x.isInfinite || y.isInfinite || abs(x - y) > absolute + relative * abs(y) { return (i, x, y) }
    }
    return nil
}

/// Whether `actual` and `expected` have the same shape and elements within
/// `absolute + relative · |expected|`.
public func isClose(_ actual: Tensor, _ expected: Tensor, relative: Float, absolute: Float = 0) -> Bool {
    actual.shape == expected.shape && firstMismatch(actual.floats, expected.floats, relative: relative, absolute: absolute) == nil
}

/// A fresh, empty folder under the system's temporary directory, removed when this object goes away.
public final class TemporaryDirectory: @unchecked Sendable {
    public let url: URL
    public var path: String { url.path }

    public init(_ label: String = "pdrop-tests") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The path of `name` inside this folder.
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `bytes` to `name` inside this folder (creating sub-folders) and returns its path.
    @discardableResult
    public func write(_ bytes: [UInt8], to name: String) throws -> String {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file)
        return file.path
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Builds safetensors bytes by hand: an 8-byte little-endian header length, the header text exactly
/// as given (no padding unless `padTo8`), then `data`. For constructing malformed files in tests.
public func rawSafeTensors(header: [UInt8], data: [UInt8] = [], padTo8: Bool = false) -> [UInt8] {
    var header = header
    if padTo8 { while (8 + header.count) % 8 != 0 { header.append(UInt8(ascii: " ")) } }
    var out: [UInt8] = []
    withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
    return out + header + data
}

/// `rawSafeTensors` with a header given as text.
public func rawSafeTensors(header: String, data: [UInt8] = [], padTo8: Bool = false) -> [UInt8] {
    rawSafeTensors(header: Array(header.utf8), data: data, padTo8: padTo8)
}
