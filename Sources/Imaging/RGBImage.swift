/// An 8-bit RGB image: `height` rows of `width` pixels, each three bytes R, G, B, row-major,
/// top row first — what `numpy.asarray(pil_image.convert("RGB"))` holds.
public struct RGBImage: Equatable, Sendable {
    /// Width in pixels (≥ 1).
    public let width: Int
    /// Height in pixels (≥ 1).
    public let height: Int
    /// Interleaved RGB bytes, `width * height * 3` of them.
    public private(set) var pixels: [UInt8]

    /// An image holding `pixels` (interleaved RGB, row-major; the count must be `width * height * 3`).
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0, "RGBImage needs a positive size, got \(width)×\(height)")
        precondition(pixels.count == width * height * 3,
                     "RGBImage \(width)×\(height) needs \(width * height * 3) bytes, got \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An image of one colour.
    public init(width: Int, height: Int, color: RGB = .black) {
        precondition(width > 0 && height > 0, "RGBImage needs a positive size, got \(width)×\(height)")
        self.width = width
        self.height = height
        if color == .black {
            pixels = [UInt8](repeating: 0, count: width * height * 3)
        } else {
            pixels = [UInt8](unsafeUninitializedCapacity: width * height * 3) { buffer, count in
                for i in 0..<(width * height) {
                    buffer[3 * i] = color.red
                    buffer[3 * i + 1] = color.green
                    buffer[3 * i + 2] = color.blue
                }
                count = width * height * 3
            }
        }
    }

    /// Builds an image by letting `body` fill all `width * height * 3` bytes (which start
    /// uninitialised) — for hot loops that write every pixel once.
    public init(width: Int, height: Int, filling body: (UnsafeMutableBufferPointer<UInt8>) throws -> Void) rethrows {
        precondition(width > 0 && height > 0, "RGBImage needs a positive size, got \(width)×\(height)")
        self.width = width
        self.height = height
        pixels = try [UInt8](unsafeUninitializedCapacity: width * height * 3) { buffer, count in
            try body(buffer)
            count = width * height * 3
        }
    }

    /// The size as a value.
    public var size: ImageSize { ImageSize(width: width, height: height) }

    /// The pixel at column `x`, row `y`.
    public subscript(x x: Int, y y: Int) -> RGB {
        get {
            precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel (\(x), \(y)) outside \(width)×\(height)")
            let i = (y * width + x) * 3
            return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set {
            precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel (\(x), \(y)) outside \(width)×\(height)")
            let i = (y * width + x) * 3
            pixels[i] = newValue.red
            pixels[i + 1] = newValue.green
            pixels[i + 2] = newValue.blue
        }
    }

    /// Calls `body` with the pixel bytes for in-place editing.
    public mutating func withUnsafeMutablePixels<R>(_ body: (UnsafeMutableBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try pixels.withUnsafeMutableBufferPointer { try body($0) }
    }
}

/// One 8-bit RGB colour.
public struct RGB: Hashable, Sendable, CustomStringConvertible {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    public static let black = RGB(0, 0, 0)
    public static let white = RGB(255, 255, 255)

    public var description: String { "(\(red), \(green), \(blue))" }
}

/// A width and a height in pixels.
public struct ImageSize: Hashable, Sendable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// Pairs in transformers' `image_grid_pinpoints` order, `[height, width]`.
    public init(heightWidth pair: [Int]) throws(ImagingError) {
        guard pair.count == 2, pair[0] > 0, pair[1] > 0 else {
            throw .invalidArgument("a pinpoint must be two positive integers [height, width], got \(pair)")
        }
        self.init(width: pair[1], height: pair[0])
    }

    public var description: String { "\(width)×\(height)" }
}
