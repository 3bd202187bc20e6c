/// What Pillow needs from a GIF's headers to colour the first frame where stb_image leaves pixels
/// transparent: the first image's rectangle, its palette and the transparency index of the
/// Graphic Control Extension before it.
///
/// stb_image leaves the transparent pixels of the first frame as (0,0,0,0) and pixels outside the
/// frame as the background colour; Pillow (`GifImagePlugin`, frame 0 in mode "P") shows the
/// palette colour of the transparent index inside the frame, and fills the rest of the canvas with
/// the transparent index (or index 0 when there is none).
struct GIFFirstFrame {
    var left: Int, top: Int, width: Int, height: Int
    /// RGB triples of the frame's palette (the local one if present, else the global one).
    var palette: [UInt8]
    var transparentIndex: Int?
    /// Whether the file ends inside the first frame's image data (Pillow: "image file is
    /// truncated"; stb_image decodes what is there). A file cut exactly between two data
    /// sub-blocks is not noticed.
    var truncated: Bool

    /// Parses up to the first image's data; nil if the headers are malformed (stb then reports).
    init?(_ bytes: UnsafeRawBufferPointer) {
        var at = 13
        guard bytes.count >= at else { return nil }
        func u16(_ offset: Int) -> Int { Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 }
        var globalPalette: [UInt8] = []
        if bytes[10] & 0x80 != 0 {
            let length = 3 << (Int(bytes[10] & 7) + 1)
            guard bytes.count >= at + length else { return nil }
            globalPalette = Array(bytes[at..<(at + length)])
            at += length
        }
        var transparent: Int?
        while at < bytes.count {
            switch bytes[at] {
            case 0x21:  // extension: label, then sub-blocks
                guard at + 2 < bytes.count else { return nil }
                let label = bytes[at + 1]
                at += 2
                if label == 0xF9, at + 4 < bytes.count, bytes[at] >= 4 {
                    transparent = bytes[at + 1] & 1 != 0 ? Int(bytes[at + 4]) : nil
                }
                while at < bytes.count, bytes[at] != 0 { at += Int(bytes[at]) + 1 }
                at += 1
            case 0x2C:  // image descriptor
                guard at + 10 <= bytes.count else { return nil }
                left = u16(at + 1)
                top = u16(at + 3)
                width = u16(at + 5)
                height = u16(at + 7)
                let flags = bytes[at + 9]
                if flags & 0x80 != 0 {
                    let length = 3 << (Int(flags & 7) + 1)
                    guard bytes.count >= at + 10 + length else { return nil }
                    palette = Array(bytes[(at + 10)..<(at + 10 + length)])
                } else {
                    palette = globalPalette
                }
                transparentIndex = transparent
                // LZW minimum code size, then sub-blocks (length byte, data) up to a 0 length.
                var block = at + 10 + (flags & 0x80 != 0 ? 3 << (Int(flags & 7) + 1) : 0) + 1
                truncated = block > bytes.count
                while block < bytes.count, bytes[block] != 0 {
                    let next = block + 1 + Int(bytes[block])
                    if next > bytes.count { truncated = true }
                    block = next
                }
                return
            default:
                return nil
            }
        }
        return nil
    }

    /// The RGB colour of palette entry `index` (black past the palette's end).
    func color(_ index: Int) -> RGB {
        guard 3 * index + 2 < palette.count else { return .black }
        return RGB(palette[3 * index], palette[3 * index + 1], palette[3 * index + 2])
    }

    /// Whether canvas pixel (`x`, `y`) lies inside the first frame.
    func contains(x: Int, y: Int) -> Bool {
        x >= left && x < left + width && y >= top && y < top + height
    }
}
