import Imaging
import Tensors
import Testing

/// `CLIPPreprocessor` against transformers 5's `CLIPImageProcessorPil`. Tolerance: max |Δ| ≤ 1e-6
/// on pixel_values (observed: 0, the values are bitwise equal).
@Suite struct CLIPPreprocessorTests {
    static let tolerance: Float = 1e-6

    @Test(arguments: ImageFixtures.names("clip/"))
    func pixelValuesMatchTransformers(_ name: String) throws {
        // "clip/<size>/<file>"
        let parts = name.split(separator: "/")
        let size = Int(parts[1])!
        let image = try ImageDecoder(alpha: .compositeOnWhite).decode(contentsOf: ImageFixtures.path(String(parts[2])))
        let values = try CLIPPreprocessor(shortestEdge: size).pixelValues(image)
        #expect(values.shape == ImageFixtures.entry(name).shape)
        #expect(maxAbsDifference(values.floats, ImageFixtures.floats(name)) <= Self.tolerance, "\(name)")
    }

    /// The 336 output of llava-hf 1.5, stored losslessly as uint8 codes plus a per-channel table.
    @Test func llavaHF336() throws {
        let image = try ImageDecoder().decode(contentsOf: ImageFixtures.path("photo420.jpg"))
        let preprocessor = try CLIPPreprocessor()
        let codes = ImageFixtures.bytes("clip336/photo420.jpg/codes")
        let table = ImageFixtures.floats("clip336/photo420.jpg/table")
        let crop = preprocessor.resizedAndCropped(image)
        #expect(crop.size == ImageSize(width: 336, height: 336))
        // uint8 stage: CHW codes vs our HWC crop.
        var mismatches = 0
        for c in 0..<3 {
            for i in 0..<(336 * 336) where crop.pixels[3 * i + c] != codes[c * 336 * 336 + i] { mismatches += 1 }
        }
        #expect(mismatches == 0)
        let expected = codes.enumerated().map { i, code in table[(i / (336 * 336)) * 256 + Int(code)] }
        let values = preprocessor.pixelValues(image)
        #expect(values.shape == [3, 336, 336])
        #expect(maxAbsDifference(values.floats, expected) <= Self.tolerance)
        // The normalisation of each byte value is bitwise the table transformers' arithmetic gives.
        let ramp = RGBImage(width: 256, height: 1, pixels: (0..<256).flatMap { [UInt8($0), UInt8($0), UInt8($0)] })
        #expect(preprocessor.normalized(ramp).floats.map(\.bitPattern) == table.map(\.bitPattern))
    }

    /// Original LLaVA-1.5: expand2square with (122, 116, 104), then the same steps.
    @Test(arguments: ImageFixtures.names("clippad/"))
    func padToSquareMatchesOriginalLLaVA(_ name: String) throws {
        let parts = name.split(separator: "/")
        let image = try ImageDecoder().decode(contentsOf: ImageFixtures.path(String(parts[2])))
        let preprocessor = try CLIPPreprocessor(shortestEdge: Int(parts[1])!, padColor: CLIPPreprocessor.llavaPadColor)
        #expect(maxAbsDifference(preprocessor.pixelValues(image).floats, ImageFixtures.floats(name)) <= Self.tolerance, "\(name)")
    }

    @Test func shortestEdgeSizes() {
        for row in ImageFixtures.manifest.tables.shortestEdge {
            let size = CLIPPreprocessor.shortestEdgeSize(of: ImageSize(width: row.width, height: row.height), shortestEdge: row.size)
            #expect([size.height, size.width] == row.out, "\(row.width)×\(row.height) → \(row.size)")
        }
    }

    /// transformers' `center_crop`, including crops larger than the image (zero padding).
    @Test(arguments: ImageFixtures.names("crop/"))
    func centerCropMatchesTransformers(_ name: String) throws {
        let source = try ImageDecoder().decode(contentsOf: ImageFixtures.path(String(name.split(separator: "/")[1])))
        let expected = ImageFixtures.image(name)
        #expect(source.centerCropped(width: expected.width, height: expected.height) == expected, "\(name)")
    }

    @Test func expandToSquarePlacesTheImageCentred() {
        var image = RGBImage(width: 5, height: 2, color: .white)
        image[x: 0, y: 0] = RGB(1, 2, 3)
        let square = image.expandedToSquare(background: CLIPPreprocessor.llavaPadColor)
        #expect(square.size == ImageSize(width: 5, height: 5))
        #expect(square[x: 0, y: 1] == RGB(1, 2, 3))  // pasted at (0, (5 − 2) // 2)
        #expect(square[x: 4, y: 0] == CLIPPreprocessor.llavaPadColor)
        #expect(square[x: 4, y: 3] == CLIPPreprocessor.llavaPadColor)
        #expect(square[x: 4, y: 2] == .white)
        let tall = RGBImage(width: 2, height: 5, color: .white).expandedToSquare(background: .black)
        // Pasted at ((5 − 2) // 2, 0): columns 1 and 2.
        #expect(tall[x: 0, y: 0] == .black && tall[x: 1, y: 0] == .white && tall[x: 2, y: 4] == .white && tall[x: 3, y: 0] == .black)
    }

    @Test func invalidSettingsAreErrors() {
        #expect(throws: ImagingError.self) { try CLIPPreprocessor(shortestEdge: 0) }
        #expect(throws: ImagingError.self) { try CLIPPreprocessor(mean: [0.5]) }
        #expect(throws: ImagingError.self) { try CLIPPreprocessor(std: [1, 0, 1]) }
    }
}
