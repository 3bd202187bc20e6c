// BMP: stb_image, except for what Pillow does differently (see `BMPHeader`).

extension ImageDecoder {
    /// BMP through stb_image, except where Pillow differs (see `BMPHeader`).
    func bmp(_ bytes: UnsafeRawBufferPointer, file: String) throws(ImagingError) -> RGBImage {
        guard let header = BMPHeader(bytes) else { throw .truncated(file: file, format: .bmp) }
        guard header.isUncompressed else {
            throw .unsupported(file: file, format: .bmp, reason: header.compression == 1 || header.compression == 2
                ? "RLE-compressed BMP" : "BMP compression \(header.compression)")
        }
        guard bytes.count >= header.requiredLength else { throw .truncated(file: file, format: .bmp) }
        if header.bitsPerPixel == 16 {
            guard let greenBits = header.sixteenBitGreenBits else {
                throw .unsupported(file: file, format: .bmp, reason: "16-bit bitfields other than 5-5-5 and 5-6-5")
            }
            return header.decode16(bytes, greenBits: greenBits)
        }
        return try StbDecoder.withRGBA(bytes, format: .bmp, file: file) { size, rgba in
            header.ignoresAlpha ? Self.dropAlpha(rgba, size: size) : removeAlpha(rgba, size: size)
        }
    }
}
