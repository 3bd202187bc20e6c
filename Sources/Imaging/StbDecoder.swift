import CStb

/// PNG, BMP and GIF (first frame) through stb_image, always as 8-bit RGBA (alpha 255 where the file
/// has none). Exact with Pillow for these formats; `ImageDecoder` turns RGBA into RGB.
///
/// Every decode runs under an allocation bound derived from the header's size (`allocationBound`),
/// so that a few hundred bytes cannot make stb allocate gigabytes.
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
        let data = try bounded(bytes, format: format, file: file) {
            stbi_load_from_memory(pointer(bytes), length(bytes), &width, &height, &channels, 4)
        }
        defer { stbi_image_free(data) }
        return try body(ImageSize(width: Int(width), height: Int(height)), UnsafePointer(data))
    }

    /// Calls `body` with the decoded one-channel 16-bit samples (16-bit grayscale PNG).
    static func withGray16<R>(_ bytes: UnsafeRawBufferPointer, file: String,
                              _ body: (ImageSize, UnsafePointer<UInt16>) -> R) throws(ImagingError) -> R {
        var width: Int32 = 0, height: Int32 = 0, channels: Int32 = 0
        let data = try bounded(bytes, format: .png, file: file) {
            stbi_load_16_from_memory(pointer(bytes), length(bytes), &width, &height, &channels, 1)
        }
        defer { stbi_image_free(data) }
        return body(ImageSize(width: Int(width), height: Int(height)), UnsafePointer(data))
    }

    /// The most one allocation may take while decoding an image whose header declares `size`: four
    /// times its largest raw form (16-bit RGBA rows, each with PNG's filter byte), which covers the
    /// zlib output of PNG's interlaced passes and every intermediate buffer stb keeps, plus 1 MiB.
    static func allocationBound(_ size: ImageSize) -> Int {
        4 * size.height * (1 + 8 * size.width) + (1 << 20)
    }

    /// What `decode` returns, run under the allocation bound of the header's size (headers are
    /// checked against the pixel limit before any decode); its failure as an `ImagingError`.
    private static func bounded<T>(_ bytes: UnsafeRawBufferPointer, format: ImageFormat, file: String,
                                   _ decode: () -> T?) throws(ImagingError) -> T {
        let size = format.declaredSize(bytes) ?? ImageSize(width: 0, height: 0)
        pd_stb_limit_allocations(allocationBound(size))
        defer { pd_stb_limit_allocations(0) }
        if let result = decode() { return result }
        if pd_stb_allocation_refused() != 0 {
            throw .corrupt(file: file, format: format, reason: "its data decodes to more than its \(size.width)×\(size.height) header allows")
        }
        throw failure(bytes, format: format, file: file)
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
