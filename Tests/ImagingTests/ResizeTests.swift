import Imaging
import Testing

/// `BicubicResampler` equals Pillow 13's `Image.resize(size, Image.BICUBIC)` byte for byte: up,
/// down, one axis only, extreme ratios, 1×1.
@Suite struct ResizeTests {
    @Test(arguments: ImageFixtures.names("resize/"))
    func resizesLikePillow(_ name: String) throws {
        // "resize/<source file>/<w>x<h>"
        let parts = name.split(separator: "/")
        let source = try ImageDecoder().decode(contentsOf: ImageFixtures.path(String(parts[1])))
        let expected = ImageFixtures.image(name)
        let resized = source.resized(width: expected.width, height: expected.height)
        #expect(resized.size == expected.size)
        let mismatch = byteMismatch(resized.pixels, expected.pixels)
        #expect(mismatch.count == 0, "\(name): \(mismatch.count) bytes differ, by up to \(mismatch.largest)")
    }

    @Test func sameSizeIsTheIdentity() throws {
        let image = try ImageDecoder().decode(contentsOf: ImageFixtures.path("photo420.jpg"))
        #expect(image.resized(width: 97, height: 61) == image)
    }

    /// Constant images stay constant (weights sum to one in fixed point).
    @Test func constantStaysConstant() {
        let gray = RGBImage(width: 7, height: 5, color: RGB(200, 13, 255))
        for (w, h) in [(3, 2), (20, 11), (7, 1), (1, 9), (336, 336)] {
            let out = gray.resized(width: w, height: h)
            #expect(out == RGBImage(width: w, height: h, color: RGB(200, 13, 255)), "\(w)×\(h)")
        }
    }
}
