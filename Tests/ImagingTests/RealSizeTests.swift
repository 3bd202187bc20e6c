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

    @Test func sha256MatchesHashlib() {
        #expect(sha256Hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let twoBlocks = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(sha256Hex(twoBlocks) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let many = [UInt8](repeating: 0x61, count: 1000)
        #expect(sha256Hex(many) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
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
