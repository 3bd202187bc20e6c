import Foundation
import Imaging
import LLaVA
import Testing

/// `OneVisionPreprocessing` reads the tiny processor's `preprocessor_config.json` (written by
/// `Tests/Fixtures/onevision/make_onevision_fixtures.py`) into the tiling whose pixels
/// `OneVisionTilingTests` checks; bad fields are one-line errors naming the file and the field.
@Suite struct OneVisionPreprocessingTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/onevision/preprocessor_config.json").path

    @Test func readsTheFixtureConfig() throws {
        let tiling = try OneVisionPreprocessing.tiling(contentsOf: Self.fixture)
        let expected = try AnyResTiling.oneVision(tile: 28)
        #expect(tiling.pinpoints == expected.pinpoints)
        let (p, e) = (tiling.preprocessor, expected.preprocessor)
        #expect(p.resize == .wholeImage && p.cropSize == e.cropSize && p.mean == e.mean && p.std == e.std)
        #expect(p.padColor == RGB(127, 127, 127) && p.rescaleFactor == e.rescaleFactor)
    }

    /// An empty config is transformers' class defaults: 384, pinpoints 384…2304, CLIP's mean and std.
    @Test func absentFieldsAreTheClassDefaults() throws {
        let tiling = try OneVisionPreprocessing.tiling(contentsOf: try Self.write("{}"))
        #expect(tiling.pinpoints == (try AnyResTiling.oneVision()).pinpoints && tiling.tileSize == 384)
        #expect(tiling.preprocessor.mean == CLIPPreprocessor.clipMean && tiling.preprocessor.padColor == CLIPPreprocessor.llavaPadColor)
    }

    @Test(arguments: [
        (#"{"size": {"height": 0, "width": 28}}"#, "size"),
        (#"{"size": {"height": "x"}}"#, "size.height"),
        (#"{"image_grid_pinpoints": [[28]]}"#, "image_grid_pinpoints"),
        (#"{"image_mean": [0.5, 0.5]}"#, "image_mean"),
        (#"{"image_std": [0.5, 0, 0.5]}"#, "image_std"),
        (#"{"do_center_crop": true}"#, "do_center_crop"),
        (#"{"crop_size": {"height": 14, "width": 14}}"#, "crop_size.height"),
        (#"{"resample": 2}"#, "resample"),
        (#"{"do_normalize": false}"#, "do_normalize"),
    ])
    func badFieldsNameFileAndField(json: String, field: String) throws {
        let path = try Self.write(json)
        do {
            _ = try OneVisionPreprocessing.tiling(contentsOf: path)
            Issue.record("no error for \(json)")
        } catch {
            let message = "\(error)"
            #expect(message.hasPrefix(path + ": ") && message.contains(field) && !message.contains("\n"), "\(message)")
        }
    }

    /// `json` in a fresh temporary `preprocessor_config.json`.
    static func write(_ json: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("onevision-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("preprocessor_config.json").path
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
