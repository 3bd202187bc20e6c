import Foundation
import Imaging

/// The fixtures under `Tests/Fixtures/images`, written by `make_image_fixtures.py` (Pillow 13,
/// transformers 5 Pil processors): images, `expected.bin` and its `manifest.json` index.
enum ImageFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/images")

    /// Path of a fixture file.
    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    static let manifest: Manifest = {
        let data = try! Data(contentsOf: directory.appendingPathComponent("manifest.json"))
        return try! JSONDecoder().decode(Manifest.self, from: data)
    }()

    static let blob: [UInt8] = [UInt8](try! Data(contentsOf: directory.appendingPathComponent("expected.bin")))

    /// Names of the expected arrays starting with `prefix`, sorted.
    static func names(_ prefix: String) -> [String] {
        manifest.arrays.keys.filter { $0.hasPrefix(prefix) }.sorted()
    }

    static func entry(_ name: String) -> Manifest.ArrayEntry {
        guard let entry = manifest.arrays[name] else { fatalError("no expected array \(name)") }
        return entry
    }

    /// A u8 array.
    static func bytes(_ name: String) -> [UInt8] {
        let e = entry(name)
        precondition(e.dtype == "u8", "\(name) is \(e.dtype)")
        return Array(blob[e.offset..<(e.offset + e.length)])
    }

    /// An f32 array (little-endian).
    static func floats(_ name: String) -> [Float] {
        let e = entry(name)
        precondition(e.dtype == "f32", "\(name) is \(e.dtype)")
        return (0..<(e.length / 4)).map { i in
            let o = e.offset + 4 * i
            let bits = UInt32(blob[o]) | UInt32(blob[o + 1]) << 8 | UInt32(blob[o + 2]) << 16 | UInt32(blob[o + 3]) << 24
            return Float(bitPattern: bits)
        }
    }

    /// A u8 `[h, w, 3]` array as an image.
    static func image(_ name: String) -> RGBImage {
        let shape = entry(name).shape
        return RGBImage(width: shape[1], height: shape[0], pixels: bytes(name))
    }
}

struct Manifest: Decodable, Sendable {
    struct ArrayEntry: Decodable, Sendable {
        let dtype: String
        let shape: [Int]
        let offset: Int
        let length: Int
    }

    struct ShortestEdgeRow: Decodable, Sendable {
        let height: Int, width: Int, size: Int
        let out: [Int]  // [height, width]
    }

    struct BestResolutionRow: Decodable, Sendable {
        let height: Int, width: Int
        let pinpoints: [[Int]]  // [height, width] pairs
        let best: [Int]
    }

    struct PatchOutputRow: Decodable, Sendable {
        let height: Int, width: Int
        let target: [Int], out: [Int]  // [height, width]
    }

    struct Tables: Decodable, Sendable {
        let shortestEdge: [ShortestEdgeRow]
        let bestResolution: [BestResolutionRow]
        let patchOutputSize: [PatchOutputRow]

        enum CodingKeys: String, CodingKey {
            case shortestEdge = "shortest_edge", bestResolution = "best_resolution", patchOutputSize = "patch_output_size"
        }
    }

    struct Next: Decodable, Sendable {
        let tile: Int
        let pinpoints: [[Int]]
        let imageSizes: [String: [Int]]

        enum CodingKeys: String, CodingKey { case tile, pinpoints, imageSizes = "image_sizes" }
    }

    struct Digest: Decodable, Sendable {
        let dtype: String
        let shape: [Int]
        let sha256: String
    }

    let versions: [String: String]
    let digests: [String: Digest]
    let arrays: [String: ArrayEntry]
    let tables: Tables
    let next: Next
}

/// Largest absolute element-wise difference of two equally long float arrays.
func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "maxAbsDifference: \(a.count) vs \(b.count) elements")
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// How many bytes differ, and the largest difference.
func byteMismatch(_ a: [UInt8], _ b: [UInt8]) -> (count: Int, largest: Int) {
    precondition(a.count == b.count, "byteMismatch: \(a.count) vs \(b.count) bytes")
    var count = 0, largest = 0
    for (x, y) in zip(a, b) where x != y {
        count += 1
        largest = max(largest, abs(Int(x) - Int(y)))
    }
    return (count, largest)
}
