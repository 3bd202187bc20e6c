// PNG: stb_image, except 16-bit grayscale, which Pillow opens as mode "I;16" and clips.

extension ImageDecoder {
    /// A PNG as Pillow converts it to RGB.
    func png(_ bytes: UnsafeRawBufferPointer, file: String) throws(ImagingError) -> RGBImage {
        if StbDecoder.is16Bit(bytes), StbDecoder.channels(bytes) == 1 {
            return try StbDecoder.gray16(bytes, file: file)
        }
        return try StbDecoder.withRGBA(bytes, format: .png, file: file) { size, rgba in
            removeAlpha(rgba, size: size)
        }
    }
}
