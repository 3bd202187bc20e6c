import Imaging
import Tensors
import Testing

/// `AnyResTiling` against transformers 5's `LlavaNextImageProcessorPil` (tile 28, pinpoints scaled
/// by 28/336) and its size helpers. Tolerance: max |Δ| ≤ 1e-6 on pixel_values (observed: 0).
@Suite struct AnyResTilingTests {
    static func tiling() throws -> AnyResTiling {
        let next = ImageFixtures.manifest.next
        return try AnyResTiling(pinpoints: next.pinpoints.map { try ImageSize(heightWidth: $0) },
                                preprocessor: CLIPPreprocessor(shortestEdge: next.tile))
    }

    @Test(arguments: ImageFixtures.names("next/"))
    func pixelValuesMatchTransformers(_ name: String) throws {
        let file = String(name.dropFirst("next/".count))
        let image = try ImageDecoder(alpha: .compositeOnWhite).decode(contentsOf: ImageFixtures.path(file))
        #expect([image.height, image.width] == ImageFixtures.manifest.next.imageSizes[file])
        let values = try Self.tiling().pixelValues(image)
        #expect(values.shape == ImageFixtures.entry(name).shape, "\(name)")
        #expect(maxAbsDifference(values.floats, ImageFixtures.floats(name)) <= 1e-6, "\(name)")
    }

    @Test func bestResolutionMatchesTransformers() throws {
        for row in ImageFixtures.manifest.tables.bestResolution {
            let pinpoints = try row.pinpoints.map { try ImageSize(heightWidth: $0) }
            let best = AnyResTiling.bestResolution(for: ImageSize(width: row.width, height: row.height), among: pinpoints)
            #expect([best.height, best.width] == row.best, "\(row.width)×\(row.height) among \(row.pinpoints)")
        }
    }

    @Test func aspectFitSizeMatchesTransformers() {
        for row in ImageFixtures.manifest.tables.patchOutputSize {
            let fit = AnyResTiling.aspectFitSize(of: ImageSize(width: row.width, height: row.height),
                                                 in: ImageSize(width: row.target[1], height: row.target[0]))
            #expect([fit.height, fit.width] == row.out, "\(row.width)×\(row.height) into \(row.target)")
        }
        // Float order matters: 400 × (84 / 600) = 56.00000000000001, whose ceiling is 57.
        #expect(AnyResTiling.aspectFitSize(of: ImageSize(width: 600, height: 400), in: ImageSize(width: 84, height: 84))
            == ImageSize(width: 84, height: 57))
    }

    @Test func cropsAreBaseThenRowMajorTiles() throws {
        let image = try ImageDecoder().decode(contentsOf: ImageFixtures.path("wide.png"))  // 120×50
        let tiling = try Self.tiling()
        let canvas = AnyResTiling.bestResolution(for: image.size, among: tiling.pinpoints)
        let crops = tiling.crops(image)
        #expect(crops.count == 1 + (canvas.width / 28) * (canvas.height / 28))
        #expect(crops[0] == image.resized(width: 28, height: 28))
        #expect(crops.allSatisfy { $0.size == ImageSize(width: 28, height: 28) })
    }

    @Test func invalidPinpointsAreErrors() throws {
        #expect(throws: ImagingError.self) { try AnyResTiling(pinpoints: [], preprocessor: CLIPPreprocessor()) }
        #expect(throws: ImagingError.self) { try ImageSize(heightWidth: [336]) }
        #expect(throws: ImagingError.self) { try ImageSize(heightWidth: [0, 336]) }
    }
}
