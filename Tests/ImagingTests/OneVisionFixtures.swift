import Foundation

/// The fixtures under `Tests/Fixtures/onevision`, written by `make_onevision_fixtures.py`
/// (transformers 5's `LlavaOnevisionImageProcessorPil` at tile 28): `manifest.json` and
/// `expected.bin` (a `[3, 256]` f32 table, then each case's pixel_values as u8 codes into it).
enum OneVisionFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/onevision")

    struct Case: Decodable, Sendable {
        let file: String
        let imageSize: [Int]  // [height, width]
        let crops: Int
        let shape: [Int]
        let offset: Int

        enum CodingKeys: String, CodingKey { case file, imageSize = "image_size", crops, shape, offset }
    }

    struct Manifest: Decodable, Sendable {
        let tile: Int
        let maxTiles: Int
        let pinpoints: [[Int]]  // [height, width]
        let mean: [Double], std: [Double]
        let padColor: [Int]
        let tableOffset: Int
        let cases: [String: Case]

        enum CodingKeys: String, CodingKey {
            case tile, maxTiles = "max_tiles", pinpoints, mean, std, padColor = "pad_color", tableOffset = "table_offset", cases
        }
    }

    static let manifest: Manifest = {
        let data = try! Data(contentsOf: directory.appendingPathComponent("manifest.json"))
        return try! JSONDecoder().decode(Manifest.self, from: data)
    }()

    static let blob = [UInt8](try! Data(contentsOf: directory.appendingPathComponent("expected.bin")))

    /// Names of the cases starting with `prefix` ("single/", "multi/"), sorted.
    static func names(_ prefix: String) -> [String] {
        manifest.cases.keys.filter { $0.hasPrefix(prefix) }.sorted()
    }

    /// Path of a case's image: the LLaVA-NeXT fixture of that name.
    static func imagePath(_ file: String) -> String {
        directory.deletingLastPathComponent().appendingPathComponent("llava-next/\(file)").path
    }

    /// transformers' pixel_values of a case, rebuilt from its codes and the table.
    static func pixelValues(_ name: String) -> [Float] {
        let entry = manifest.cases[name]!
        let table = (0..<(3 * 256)).map { i in
            let o = manifest.tableOffset + 4 * i
            return Float(bitPattern: UInt32(blob[o]) | UInt32(blob[o + 1]) << 8 | UInt32(blob[o + 2]) << 16 | UInt32(blob[o + 3]) << 24)
        }
        let plane = entry.shape[2] * entry.shape[3]
        let count = entry.shape.reduce(1, *)
        return (0..<count).map { i in table[(i / plane) % 3 * 256 + Int(blob[entry.offset + i])] }
    }
}
