// Cropping and padding: the integer-exact geometry of transformers' center_crop, LLaVA's
// expand2square and LLaVA-NeXT's pad-for-patching.

extension RGBImage {
    /// The `width`×`height` window whose top-left corner is at (`x`, `y`) in this image; the window
    /// may extend past any edge (or lie entirely outside), and pixels there take `fill`.
    public func cropped(x: Int, y: Int, width: Int, height: Int, fill: RGB = .black) -> RGBImage {
        precondition(width > 0 && height > 0, "crop needs a positive size, got \(width)×\(height)")
        // Source columns [x0, x1) land at output columns [x0 - x, x1 - x).
        let x0 = min(max(x, 0), self.width), x1 = max(min(x + width, self.width), x0)
        let inner = (x1 - x0) * 3, before = (x0 - x) * 3
        return pixels.withUnsafeBufferPointer { src in
            RGBImage(width: width, height: height) { out in
                let rowBytes = width * 3
                for row in 0..<height {
                    let o = out.baseAddress! + row * rowBytes
                    let sy = y + row
                    guard sy >= 0, sy < self.height, inner > 0 else {
                        Self.fill(o, count: width, with: fill)
                        continue
                    }
                    Self.fill(o, count: before / 3, with: fill)
                    (o + before).update(from: src.baseAddress! + (sy * self.width + x0) * 3, count: inner)
                    Self.fill(o + before + inner, count: (rowBytes - before - inner) / 3, with: fill)
                }
            }
        }
    }

    /// transformers' `center_crop`: the window at `((W − width) // 2, (H − height) // 2)` (floor
    /// division), so a crop larger than the image pads it with zeros, the image placed at
    /// `ceil(difference / 2)`.
    public func centerCropped(width: Int, height: Int) -> RGBImage {
        cropped(x: floorHalf(self.width - width), y: floorHalf(self.height - height), width: width, height: height)
    }

    /// This image pasted on a `canvas`-sized background of `fill` with its top-left corner at (`x`, `y`).
    public func padded(to canvas: ImageSize, x: Int, y: Int, fill: RGB = .black) -> RGBImage {
        cropped(x: -x, y: -y, width: canvas.width, height: canvas.height, fill: fill)
    }

    /// Original LLaVA's `expand2square`: a square of side max(W, H) filled with `background`, the
    /// image pasted at ((side − W) // 2, (side − H) // 2). A square image is returned as is.
    public func expandedToSquare(background: RGB) -> RGBImage {
        if width == height { return self }
        let side = max(width, height)
        return padded(to: ImageSize(width: side, height: side), x: (side - width) / 2, y: (side - height) / 2,
                      fill: background)
    }

    private static func fill(_ start: UnsafeMutablePointer<UInt8>, count: Int, with color: RGB) {
        if color == .black {
            start.update(repeating: 0, count: count * 3)
            return
        }
        for i in 0..<count {
            start[3 * i] = color.red
            start[3 * i + 1] = color.green
            start[3 * i + 2] = color.blue
        }
    }
}

/// `value // 2` with Python's floor semantics (also for negative values).
@inline(__always) func floorHalf(_ value: Int) -> Int { value >> 1 }
