import Imaging
import Tensors
import Testing

/// End to end at real sizes (640×480 and 360×800 JPEGs, 336 crops, the default LLaVA-NeXT
/// pinpoints): our bytes and floats hash to the SHA-256 digests of Pillow's and transformers'.
/// A digest match means bitwise equality (so max |Δ| = 0 ≤ 1e-6).
@Suite struct RealSizeTests {
    static let files = ["big.jpg", "tallbig.jpg"]

    static func expected(_ name: String) throws -> Manifest.Digest {
        try #require(ImageFixtures.manifest.digests[name], "no digest \(name)")
    }

    @Test(arguments: files)
    func decodeAndResize(_ file: String) throws {
        let image = try ImageDecoder().decode(contentsOf: ImageFixtures.path(file))
        let decoded = try Self.expected("decode/\(file)")
        #expect([image.height, image.width, 3] == decoded.shape)
        #expect(sha256Hex(image.pixels) == decoded.sha256, "decode \(file)")
        let size = CLIPPreprocessor.shortestEdgeSize(of: image.size, shortestEdge: 336)
        let resized = try Self.expected("resize/\(file)/\(size.width)x\(size.height)")
        #expect(sha256Hex(image.resized(to: size).pixels) == resized.sha256, "resize \(file)")
    }

    @Test(arguments: files)
    func clipPixelValues(_ file: String) throws {
        let image = try ImageDecoder().decode(contentsOf: ImageFixtures.path(file))
        let crop = try CLIPPreprocessor().pixelValues(image)
        #expect(crop.shape == [3, 336, 336])
        #expect(sha256Hex(crop.floats) == (try Self.expected("clip/336/\(file)")).sha256, "clip \(file)")
        let pad = try CLIPPreprocessor(padColor: CLIPPreprocessor.llavaPadColor).pixelValues(image)
        #expect(sha256Hex(pad.floats) == (try Self.expected("clippad/336/\(file)")).sha256, "clippad \(file)")
    }

    @Test(arguments: files)
    func llavaNextPixelValues(_ file: String) throws {
        let image = try ImageDecoder().decode(contentsOf: ImageFixtures.path(file))
        let pinpoints = try [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]].map { try ImageSize(heightWidth: $0) }
        let tiling = try AnyResTiling(pinpoints: pinpoints, preprocessor: CLIPPreprocessor())
        let values = tiling.pixelValues(image)
        let expected = try Self.expected("next/336/\(file)")
        #expect(values.shape == expected.shape)
        #expect(sha256Hex(values.floats) == expected.sha256, "next \(file)")
    }
}
