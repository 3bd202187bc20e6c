import Imaging
import Tensors
import Testing

/// `AnyResTiling.oneVision` against transformers 5's `LlavaOnevisionImageProcessorPil` (tile 28,
/// pinpoints 28…168 scaled from 384…2304, mean = std = 0.5). Tolerance: max |Δ| ≤ 1e-6 on
/// pixel_values (observed: 0, bitwise equal — the same Pillow-exact bytes and f32 arithmetic).
@Suite struct OneVisionTilingTests {
    static func tiling() throws -> AnyResTiling {
        let manifest = OneVisionFixtures.manifest
        return try AnyResTiling.oneVision(tile: manifest.tile, maxTiles: manifest.maxTiles, mean: manifest.mean, std: manifest.std)
    }

    static func check(_ name: String, tiles: Bool) throws {
        let entry = OneVisionFixtures.manifest.cases[name]!
        let image = try ImageDecoder(alpha: .compositeOnWhite).decode(contentsOf: OneVisionFixtures.imagePath(entry.file))
        #expect([image.height, image.width] == entry.imageSize, "\(name)")
        let tiling = try tiling()
        #expect(tiling.cropCount(for: image.size, tiles: tiles) == entry.crops, "\(name)")
        let values = tiling.pixelValues(image, tiles: tiles)
        #expect(values.shape == entry.shape, "\(name)")
        #expect(maxAbsDifference(values.floats, OneVisionFixtures.pixelValues(name)) <= 1e-6, "\(name)")
    }

    /// One image in the prompt: the base crop and the anyres tiles.
    @Test(arguments: OneVisionFixtures.names("single/"))
    func singleImageMatchesTransformers(_ name: String) throws {
        try Self.check(name, tiles: true)
    }

    /// Several images in one prompt: each only its base crop, padded to a square of 127 first.
    @Test(arguments: OneVisionFixtures.names("multi/"))
    func multiImageMatchesTransformers(_ name: String) throws {
        try Self.check(name, tiles: false)
    }

    @Test func settingsAreOneVisions() throws {
        let manifest = OneVisionFixtures.manifest
        let tiling = try Self.tiling()
        #expect(tiling.pinpoints.map { [$0.height, $0.width] } == manifest.pinpoints)
        #expect(tiling.tileSize == manifest.tile)
        let pad = try #require(tiling.preprocessor.padColor)
        #expect([pad.red, pad.green, pad.blue].map(Int.init) == manifest.padColor)
        // The checkpoints' defaults: 384 tiles, pinpoints 384…2304 on both sides, SigLIP's constants.
        let full = try AnyResTiling.oneVision()
        #expect(full.pinpoints.count == 36 && full.pinpoints.first == ImageSize(width: 384, height: 384)
            && full.pinpoints[1] == ImageSize(width: 768, height: 384) && full.pinpoints.last == ImageSize(width: 2304, height: 2304))
        #expect(full.preprocessor.mean == CLIPPreprocessor.siglipMean && full.preprocessor.padColor == RGB(127, 127, 127))
    }

    /// The whole image resized to the output size: no crop, the aspect ratio not kept.
    @Test func wholeImageResizeDoesNotCrop() throws {
        let image = try ImageDecoder().decode(contentsOf: OneVisionFixtures.imagePath("wide.png"))
        let preprocessor = try CLIPPreprocessor(resizingTo: ImageSize(width: 28, height: 28))
        #expect(preprocessor.shortestEdge == nil && preprocessor.resize == .wholeImage)
        #expect(preprocessor.resizedAndCropped(image) == image.resized(width: 28, height: 28))
        let padded = try CLIPPreprocessor(resizingTo: ImageSize(width: 28, height: 28), padColor: RGB(127, 127, 127))
        #expect(padded.resizedAndCropped(image) == image.expandedToSquare(background: RGB(127, 127, 127)).resized(width: 28, height: 28))
    }

    /// Bad settings are one-line errors naming transformers' field.
    @Test func invalidSettingsNameTheirField() {
        let cases: [(String, () throws(ImagingError) -> Void)] = [
            ("size", { () throws(ImagingError) in _ = try CLIPPreprocessor(resizingTo: ImageSize(width: 0, height: 28)) }),
            ("image_mean", { () throws(ImagingError) in _ = try AnyResTiling.oneVision(mean: [0.5]) }),
            ("image_std", { () throws(ImagingError) in _ = try AnyResTiling.oneVision(std: [0.5, 0, 0.5]) }),
            ("image_grid_pinpoints", { () throws(ImagingError) in _ = try AnyResTiling.oneVision(maxTiles: 0) }),
            ("size", { () throws(ImagingError) in _ = try AnyResTiling.oneVision(tile: 0) }),
        ]
        for (field, make) in cases {
            do {
                try make()
                Issue.record("no error for a bad \(field)")
            } catch {
                #expect(error.description.contains(field) && !error.description.contains("\n"), "\(error)")
            }
        }
    }
}
