import CJPEGDecode

/// JPEG through libjpeg-turbo's libjpeg API, the decoder Pillow links: library defaults (ISLOW IDCT,
/// fancy upsampling), so the RGB bytes equal Pillow's. The C side (`CJPEGDecode`) catches libjpeg's
/// errors with setjmp/longjmp; running out of data is reported as truncation, as Pillow does, while
/// libjpeg's other warnings (corrupt entropy data, extraneous bytes) are not errors for Pillow
/// either. Grayscale is replicated; CMYK/YCCK follows Pillow's Adobe-inverted `cmyk2rgb`.
enum JPEGDecoder {
    /// Width, height and component count from the headers, without decoding pixels.
    static func header(_ bytes: UnsafeRawBufferPointer, file: String) throws(ImagingError) -> (size: ImageSize, components: Int) {
        var header = cjpeg_header()
        let status = withMessageBuffer { message, capacity in
            cjpeg_read_header(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, &header, message, capacity)
        }
        try check(status, file: file)
        return (ImageSize(width: Int(header.width), height: Int(header.height)), Int(header.components))
    }

    /// The decoded image; the caller has checked the size from `header` against its pixel limit.
    static func decode(_ bytes: UnsafeRawBufferPointer, size: ImageSize, file: String) throws(ImagingError) -> RGBImage {
        let count = size.width * size.height * 3
        var pixels = [UInt8](repeating: 0, count: count)
        let status = pixels.withUnsafeMutableBufferPointer { out in
            withMessageBuffer { message, capacity in
                cjpeg_decode_rgb(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count,
                                 out.baseAddress, count, message, capacity)
            }
        }
        try check(status, file: file)
        return RGBImage(width: size.width, height: size.height, pixels: pixels)
    }

    private typealias Status = (code: Int32, message: String)

    private static func withMessageBuffer(_ body: (UnsafeMutablePointer<CChar>, Int) -> Int32) -> Status {
        var buffer = [CChar](repeating: 0, count: 256)
        let code = buffer.withUnsafeMutableBufferPointer { body($0.baseAddress!, $0.count) }
        let message = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return (code, message)
    }

    private static func check(_ status: Status, file: String) throws(ImagingError) {
        switch status.code {
        case Int32(CJPEG_OK): return
        case Int32(CJPEG_TRUNCATED): throw .truncated(file: file, format: .jpeg)
        case Int32(CJPEG_UNSUPPORTED): throw .unsupported(file: file, format: .jpeg, reason: status.message)
        default: throw .corrupt(file: file, format: .jpeg, reason: status.message)
        }
    }
}
