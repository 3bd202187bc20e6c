import Imaging

/// The image decoder under fuzzing, with a pixel limit of 4 million so that a header claiming
/// more is refused before anything is allocated.
enum ImageTarget {
    private static let decoder = ImageDecoder(pixelLimit: 4_000_000, alpha: .compositeOnWhite)

    static func decode(_ bytes: UnsafeRawBufferPointer) {
        if let image = try? decoder.decode(Array(bytes), source: "fuzz") {
            precondition(image.width > 0 && image.height > 0 && image.pixels.count == 3 * image.width * image.height)
        }
    }
}
