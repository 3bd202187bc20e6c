#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads JPEG, PNG, BMP and GIF (first frame) files into `RGBImage`s with the bytes Pillow's
/// `Image.open(path).convert("RGB")` gives.
///
/// The format comes from the leading bytes, never the file name. JPEG goes through libjpeg-turbo
/// (the decoder Pillow links); the others through stb_image. The dimensions are read first and
/// images over `pixelLimit` are refused before any pixel is decoded. Every failure is an
/// `ImagingError` naming the file.
public struct ImageDecoder: Sendable {
    /// What becomes of transparency.
    public enum Alpha: Sendable {
        /// Drop it, keeping the stored colours: Pillow's `convert("RGB")` (original LLaVA's
        /// `Image.open(f).convert('RGB')`).
        case drop
        /// Composite onto opaque white with Pillow's integer `alpha_composite`: what transformers 5's
        /// image processors do (`convert_to_rgb`) when handed an image with transparency.
        case compositeOnWhite
    }

    /// Largest accepted `width × height`; larger images are refused before decoding.
    public var pixelLimit: Int
    /// How transparency is removed.
    public var alpha: Alpha

    /// A decoder refusing images over `pixelLimit` pixels (default 100 megapixels).
    public init(pixelLimit: Int = 100_000_000, alpha: Alpha = .drop) {
        self.pixelLimit = pixelLimit
        self.alpha = alpha
    }

    /// Decodes the image file at `path`.
    public func decode(contentsOf path: String) throws(ImagingError) -> RGBImage {
        try decode(try Self.readFile(path), source: path)
    }

    /// Decodes an image held in memory; `source` names it in errors.
    public func decode(_ bytes: [UInt8], source: String = "<memory>") throws(ImagingError) -> RGBImage {
        try withRawBytes(bytes) { raw throws(ImagingError) in try decode(raw, source: source) }
    }

    /// The format and size of the image file at `path`, from its headers alone.
    public func inspect(contentsOf path: String) throws(ImagingError) -> (format: ImageFormat, size: ImageSize) {
        let bytes = try Self.readFile(path)
        return try withRawBytes(bytes) { raw throws(ImagingError) in try inspect(raw, source: path) }
    }

    // MARK: - Internals

    func inspect(_ bytes: UnsafeRawBufferPointer, source: String) throws(ImagingError) -> (format: ImageFormat, size: ImageSize) {
        guard !bytes.isEmpty else { throw .empty(file: source) }
        guard let format = ImageFormat(sniffing: bytes) else { throw .unknownFormat(file: source) }
        if format == .jpeg {
            return (format, try JPEGDecoder.header(bytes, file: source).size)
        }
        guard let size = format.declaredSize(bytes) else { throw .truncated(file: source, format: format) }
        return (format, size)
    }

    func decode(_ bytes: UnsafeRawBufferPointer, source: String) throws(ImagingError) -> RGBImage {
        let (format, size) = try inspect(bytes, source: source)
        let (pixels, overflow) = size.width.multipliedReportingOverflow(by: size.height)
        guard size.width > 0, size.height > 0 else {
            throw .corrupt(file: source, format: format, reason: "the header declares \(size) pixels")
        }
        guard !overflow, pixels <= pixelLimit else {
            throw .tooLarge(file: source, width: size.width, height: size.height, limit: pixelLimit)
        }
        switch format {
        case .jpeg:
            return try JPEGDecoder.decode(bytes, size: size, file: source)
        case .png where StbDecoder.is16Bit(bytes) && StbDecoder.channels(bytes) == 1:
            return try Self.gray16(bytes, file: source)
        case .bmp:
            return try bmp(bytes, file: source)
        case .gif:
            let frame = GIFFirstFrame(bytes)
            if frame?.truncated == true { throw .truncated(file: source, format: .gif) }
            return try StbDecoder.withRGBA(bytes, format: format, file: source) { size, rgba in
                gif(rgba, size: size, frame: frame)
            }
        case .png:
            return try StbDecoder.withRGBA(bytes, format: format, file: source) { size, rgba in
                removeAlpha(rgba, size: size)
            }
        }
    }

    /// RGBA to RGB as `alpha` says.
    func removeAlpha(_ rgba: UnsafePointer<UInt8>, size: ImageSize) -> RGBImage {
        alpha == .drop ? Self.dropAlpha(rgba, size: size) : Self.compositeOnWhite(rgba, size: size)
    }

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

    private func withRawBytes<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(ImagingError) -> R) throws(ImagingError) -> R {
        try bytes.withUnsafeBytes { raw in Result { () throws(ImagingError) in try body(raw) } }.get()
    }

    /// RGBA to RGB keeping the colours.
    static func dropAlpha(_ rgba: UnsafePointer<UInt8>, size: ImageSize) -> RGBImage {
        RGBImage(width: size.width, height: size.height) { out in
            for i in 0..<(size.width * size.height) {
                out[3 * i] = rgba[4 * i]
                out[3 * i + 1] = rgba[4 * i + 1]
                out[3 * i + 2] = rgba[4 * i + 2]
            }
        }
    }

    /// RGBA over opaque white with Pillow's `ImagingAlphaComposite` integer arithmetic.
    static func compositeOnWhite(_ rgba: UnsafePointer<UInt8>, size: ImageSize) -> RGBImage {
        RGBImage(width: size.width, height: size.height) { out in
            for i in 0..<(size.width * size.height) {
                let a = UInt32(rgba[4 * i + 3])
                guard a != 0 else {
                    out[3 * i] = 255; out[3 * i + 1] = 255; out[3 * i + 2] = 255
                    continue
                }
                // Pillow, PRECISION_BITS 7, destination white with alpha 255.
                let outA255 = a * 255 + 255 * (255 - a)
                let coef1 = a * 255 * 255 * 128 / outA255
                let coef2 = 255 * 128 - coef1
                for c in 0..<3 {
                    let tmp = UInt32(rgba[4 * i + c]) * coef1 + 255 * coef2 + (0x80 << 7)
                    out[3 * i + c] = UInt8(truncatingIfNeeded: (((tmp >> 8) + tmp) >> 8) >> 7)
                }
            }
        }
    }

    /// The first GIF frame as Pillow shows it: stb leaves transparent pixels (0,0,0,0) and colours
    /// the canvas outside the frame with the background; Pillow uses the palette (see `GIFFirstFrame`).
    func gif(_ rgba: UnsafePointer<UInt8>, size: ImageSize, frame: GIFFirstFrame?) -> RGBImage {
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

    /// A 16-bit grayscale PNG as Pillow converts mode "I;16" to RGB: samples above 255 become 255.
    static func gray16(_ bytes: UnsafeRawBufferPointer, file: String) throws(ImagingError) -> RGBImage {
        try StbDecoder.withGray16(bytes, file: file) { size, samples in
            RGBImage(width: size.width, height: size.height) { out in
                for i in 0..<(size.width * size.height) {
                    let v = UInt8(min(samples[i], 255))
                    out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v
                }
            }
        }
    }

    /// The whole file, or `.unreadable` with the system's reason.
    static func readFile(_ path: String) throws(ImagingError) -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .unreadable(file: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .unreadable(file: path, reason: String(cString: strerror(errno))) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .unreadable(file: path, reason: "not a regular file") }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                throw .unreadable(file: path, reason: n < 0 ? String(cString: strerror(errno)) : "file shrank while reading")
            }
            done += n
        }
        return bytes
    }
}
