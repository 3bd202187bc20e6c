// GIF: stb_image decodes the first frame; the colours of transparent and uncovered pixels, and
// truncation, follow Pillow.

extension ImageDecoder {
    /// The first frame of a GIF.
    func gif(_ bytes: UnsafeRawBufferPointer, file: String) throws(ImagingError) -> RGBImage {
        let frame = GIFFirstFrame(bytes)
        if frame?.truncated == true { throw .truncated(file: file, format: .gif) }
        return try StbDecoder.withRGBA(bytes, format: .gif, file: file) { size, rgba in
            colored(rgba, size: size, frame: frame)
        }
    }

    /// The first GIF frame as Pillow shows it: stb leaves transparent pixels (0,0,0,0) and colours
    /// the canvas outside the frame with the background; Pillow uses the palette (see `GIFFirstFrame`).
    func colored(_ rgba: UnsafePointer<UInt8>, size: ImageSize, frame: GIFFirstFrame?) -> RGBImage {
        guard let frame else { return Self.dropAlpha(rgba, size: size) }
        let transparent: RGB? = frame.transparentIndex.map { alpha == .drop ? frame.color($0) : .white }
        let outside = transparent ?? frame.color(0)
        return RGBImage(width: size.width, height: size.height) { out in
            for y in 0..<size.height {
                for x in 0..<size.width {
                    let i = y * size.width + x
                    var color = RGB(rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2])
                    if !frame.contains(x: x, y: y) {
                        color = outside
                    } else if rgba[4 * i + 3] == 0, let transparent {
                        color = transparent
                    }
                    out[3 * i] = color.red
                    out[3 * i + 1] = color.green
                    out[3 * i + 2] = color.blue
                }
            }
        }
    }
}
