/// The BMP header fields where Pillow and stb_image part ways, so `ImageDecoder` can follow Pillow:
/// a file shorter than its pixel rows is truncated (stb pads it); 16-bit pixels are scaled with
/// Pillow's `v · 255 / 31` (stb replicates bits, off by one on some values); 32-bit `BI_RGB` has
/// no alpha (its fourth byte is padding); RLE compression, which Pillow decodes and stb does not,
/// is refused as unsupported.
struct BMPHeader {
    var dataOffset: Int
    var width: Int
    /// Negative for top-down rows.
    var height: Int
    var bitsPerPixel: Int
    /// 0 BI_RGB, 1 RLE8, 2 RLE4, 3 BI_BITFIELDS, …
    var compression: Int
    /// Red, green and blue masks of a BI_BITFIELDS file.
    var masks: (red: Int, green: Int, blue: Int)?

    /// Parses the file and info headers; nil if they are cut short.
    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 26 else { return nil }
        func u16(_ o: Int) -> Int { Int(bytes[o]) | Int(bytes[o + 1]) << 8 }
        func u32(_ o: Int) -> Int { ImageFormat.littleEndian32(bytes, at: o) }
        dataOffset = u32(10)
        if u32(14) == 12 {  // OS/2 BITMAPCOREHEADER
            width = u16(18)
            height = u16(20)
            bitsPerPixel = u16(24)
            compression = 0
            masks = nil
            return
        }
        guard bytes.count >= 34 else { return nil }
        width = Int(Int32(truncatingIfNeeded: u32(18)))
        height = Int(Int32(truncatingIfNeeded: u32(22)))
        bitsPerPixel = u16(28)
        compression = u32(30)
        masks = compression == 3 && bytes.count >= 66 ? (u32(54), u32(58), u32(62)) : nil
    }

    /// Bytes per stored row (rows are padded to 4 bytes).
    var rowStride: Int { ((bitsPerPixel * width + 31) / 32) * 4 }

    /// Whether the rows are stored without compression.
    var isUncompressed: Bool { compression == 0 || compression == 3 }

    /// Bytes an uncompressed file needs: the pixel rows end here.
    var requiredLength: Int { dataOffset + rowStride * abs(height) }

    /// Whether Pillow reads the file as RGB although it stores a fourth byte per pixel.
    var ignoresAlpha: Bool { compression == 0 }

    /// The 16-bit layout Pillow reads: 5-5-5 (`BGR;15`, also BI_RGB) or 5-6-5 (`BGR;16`); nil for
    /// other masks (Pillow: "Unsupported BMP bitfields layout").
    var sixteenBitGreenBits: Int? {
        guard let masks else { return compression == 0 ? 5 : nil }
        switch (masks.red, masks.green, masks.blue) {
        case (0x7C00, 0x3E0, 0x1F): return 5
        case (0xF800, 0x7E0, 0x1F): return 6
        default: return nil
        }
    }

    /// A 16-bit file's pixels as Pillow's `ImagingUnpackBGR15` / `ImagingUnpackBGR16` give them.
    /// The caller has checked `requiredLength` and the layout.
    func decode16(_ bytes: UnsafeRawBufferPointer, greenBits: Int) -> RGBImage {
        let rows = abs(height), stride = rowStride
        let greenMax = (1 << greenBits) - 1
        return RGBImage(width: width, height: rows) { out in
            for y in 0..<rows {
                let fileRow = height < 0 ? y : rows - 1 - y
                let line = dataOffset + fileRow * stride
                for x in 0..<width {
                    let v = Int(bytes[line + 2 * x]) | Int(bytes[line + 2 * x + 1]) << 8
                    let o = (y * width + x) * 3
                    out[o] = UInt8((v >> (5 + greenBits) & 31) * 255 / 31)
                    out[o + 1] = UInt8((v >> 5 & greenMax) * 255 / greenMax)
                    out[o + 2] = UInt8((v & 31) * 255 / 31)
                }
            }
        }
    }
}
