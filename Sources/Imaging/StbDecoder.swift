import CStb

/// PNG, BMP and GIF (first frame) through stb_image, always as 8-bit RGBA (alpha 255 where the file
/// has none). Exact with Pillow for these formats; `ImageDecoder` turns RGBA into RGB.
enum StbDecoder {
    /// The channel count the headers declare, 0 if unreadable.
    static func channels(_ bytes: UnsafeRawBufferPointer) -> Int {
        var width: Int32 = 0, height: Int32 = 0, channels: Int32 = 0
        return stbi_info_from_memory(pointer(bytes), length(bytes), &width, &height, &channels) != 0 ? Int(channels) : 0
    }

    /// Whether the file stores 16-bit samples (PNG only).
    static func is16Bit(_ bytes: UnsafeRawBufferPointer) -> Bool {
        stbi_is_16_bit_from_memory(pointer(bytes), length(bytes)) != 0
    }

    /// Calls `body` with the decoded `size.width × size.height` RGBA pixels (valid only inside `body`).
    static func withRGBA<R>(_ bytes: UnsafeRawBufferPointer, format: ImageFormat, file: String,
                            _ body: (ImageSize, UnsafePointer<UInt8>) throws(ImagingError) -> R) throws(ImagingError) -> R {
        var width: Int32 = 0, height: Int32 = 0, channels: Int32 = 0
        guard let data = stbi_load_from_memory(pointer(bytes), length(bytes), &width, &height, &channels, 4) else {
            throw failure(bytes, format: format, file: file)
        }
        defer { stbi_image_free(data) }
        return try body(ImageSize(width: Int(width), height: Int(height)), UnsafePointer(data))
    }

    /// Calls `body` with the decoded one-channel 16-bit samples (16-bit grayscale PNG).
    static func withGray16<R>(_ bytes: UnsafeRawBufferPointer, file: String,
                              _ body: (ImageSize, UnsafePointer<UInt16>) -> R) throws(ImagingError) -> R {
        var width: Int32 = 0, height: Int32 = 0, channels: Int32 = 0
        guard let data = stbi_load_16_from_memory(pointer(bytes), length(bytes), &width, &height, &channels, 1) else {
            throw failure(bytes, format: .png, file: file)
        }
        defer { stbi_image_free(data) }
        return body(ImageSize(width: Int(width), height: Int(height)), UnsafePointer(data))
    }

    private static func pointer(_ bytes: UnsafeRawBufferPointer) -> UnsafePointer<UInt8>? {
        bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
    }

    private static func length(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        Int32(clamping: bytes.count)
    }

    private static func failure(_ bytes: UnsafeRawBufferPointer, format: ImageFormat, file: String) -> ImagingError {
        guard bytes.count <= Int(Int32.max) else {
            return .unsupported(file: file, format: format, reason: "files over 2 GiB are not read")
        }
        let reason = stbi_failure_reason().map { String(cString: $0) } ?? "unknown error"
        // stb reports running out of data in several ways; name it as Pillow does.
        if reason.contains("outofdata") || reason.contains("not enough pixels") || reason.contains("no IDAT")
            || reason.contains("premature") {
            return .truncated(file: file, format: format)
        }
        return .corrupt(file: file, format: format, reason: reason)
    }

    /// A 16-bit grayscale PNG as Pillow converts mode "I;16" to RGB: samples above 255 become 255.
    static func gray16(_ bytes: UnsafeRawBufferPointer, file: String) throws(ImagingError) -> RGBImage {
        try withGray16(bytes, file: file) { size, samples in
            RGBImage(width: size.width, height: size.height) { out in
                for i in 0..<(size.width * size.height) {
                    let v = UInt8(min(samples[i], 255))
                    out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v
                }
            }
        }
    }
}
