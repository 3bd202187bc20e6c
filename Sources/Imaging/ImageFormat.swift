/// The image file formats `ImageDecoder` reads, recognised by their leading bytes (never by name).
public enum ImageFormat: String, Sendable, CaseIterable {
    case jpeg = "JPEG"
    case png = "PNG"
    case bmp = "BMP"
    case gif = "GIF"

    /// The format whose signature starts `bytes`, or nil.
    ///
    /// JPEG `FF D8 FF`, PNG `89 50 4E 47 0D 0A 1A 0A`, GIF `GIF87a`/`GIF89a`, BMP `BM` followed by a
    /// plausible info-header size (12, 40, 52, 56, 64, 108 or 124), as Pillow's plugins check.
    public init?(sniffing bytes: UnsafeRawBufferPointer) {
        func starts(with signature: [UInt8]) -> Bool {
            bytes.count >= signature.count && zip(bytes, signature).allSatisfy { $0 == $1 }
        }
        if starts(with: [0xFF, 0xD8, 0xFF]) {
            self = .jpeg
        } else if starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            self = .png
        } else if starts(with: Array("GIF87a".utf8)) || starts(with: Array("GIF89a".utf8)) {
            self = .gif
        } else if starts(with: [0x42, 0x4D]), bytes.count >= 18,
                  [12, 40, 52, 56, 64, 108, 124].contains(Self.littleEndian32(bytes, at: 14)) {
            self = .bmp
        } else {
            return nil
        }
    }

    /// The size the headers of a PNG, GIF or BMP declare (nil for JPEG, or if the headers are cut
    /// short), read without any decoder so that the pixel limit applies before decoding starts.
    /// PNG: IHDR width and height; GIF: the logical screen; BMP: the info header (height may be
    /// negative for top-down rows).
    func declaredSize(_ bytes: UnsafeRawBufferPointer) -> ImageSize? {
        switch self {
        case .jpeg:
            return nil
        case .png:
            guard bytes.count >= 24 else { return nil }
            func bigEndian32(_ o: Int) -> Int {
                Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3])
            }
            return ImageSize(width: bigEndian32(16), height: bigEndian32(20))
        case .gif:
            guard bytes.count >= 10 else { return nil }
            return ImageSize(width: Int(bytes[6]) | Int(bytes[7]) << 8, height: Int(bytes[8]) | Int(bytes[9]) << 8)
        case .bmp:
            if Self.littleEndian32(bytes, at: 14) == 12 {
                guard bytes.count >= 22 else { return nil }
                return ImageSize(width: Int(bytes[18]) | Int(bytes[19]) << 8, height: Int(bytes[20]) | Int(bytes[21]) << 8)
            }
            guard bytes.count >= 26 else { return nil }
            let width = Int(Int32(truncatingIfNeeded: Self.littleEndian32(bytes, at: 18)))
            let height = Int(Int32(truncatingIfNeeded: Self.littleEndian32(bytes, at: 22)))
            return ImageSize(width: width, height: abs(height))
        }
    }

    /// The unsigned little-endian 32-bit integer at `offset` (which must be in range).
    static func littleEndian32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int {
        Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 24
    }
}
