// Turning stb_image's RGBA into RGB: Pillow's convert("RGB"), or transformers' composite on white.

extension ImageDecoder {
    /// RGBA to RGB as `alpha` says.
    func removeAlpha(_ rgba: UnsafePointer<UInt8>, size: ImageSize) -> RGBImage {
        alpha == .drop ? Self.dropAlpha(rgba, size: size) : Self.compositeOnWhite(rgba, size: size)
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
}
