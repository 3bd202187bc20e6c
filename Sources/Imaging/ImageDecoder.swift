/// Reads JPEG, PNG, BMP and GIF (first frame) files into `RGBImage`s with the bytes Pillow's
/// `Image.open(path).convert("RGB")` gives.
///
/// The format comes from the leading bytes, never the file name. JPEG goes through libjpeg-turbo
/// (the decoder Pillow links); the others through stb_image. The dimensions are read first and
/// images over `pixelLimit` are refused before any pixel is decoded. Every failure is an
/// `ImagingError` naming the file.
///
/// Where stb_image and Pillow part ways, this follows Pillow: JPEG grayscale is replicated and
/// CMYK/YCCK converted as Pillow does; a JPEG, GIF or BMP cut short is `.truncated` (stb would pad
/// GIF and BMP); 16-bit grayscale PNG is clipped at 255 (Pillow's "I;16" → RGB); 16-bit BMP uses
/// Pillow's scaling; transparent and uncovered pixels of a GIF's first frame take Pillow's palette
/// colours. Not supported: RLE-compressed BMP (Pillow reads it; `.unsupported` here), frames after
/// the first. Like Pillow and transformers, EXIF orientation and ICC profiles are ignored.
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
        case .jpeg: return try JPEGDecoder.decode(bytes, size: size, file: source)
        case .png: return try png(bytes, file: source)
        case .bmp: return try bmp(bytes, file: source)
        case .gif: return try gif(bytes, file: source)
        }
    }

    private func withRawBytes<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(ImagingError) -> R) throws(ImagingError) -> R {
        try bytes.withUnsafeBytes { raw in Result { () throws(ImagingError) in try body(raw) } }.get()
    }
}
