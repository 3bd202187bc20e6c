import Imaging
import LLaVA
import Tensors

extension RGBImage {
    /// The `rows × columns` grid of square `tile`-pixel `tiles` (row-major) put back into one
    /// picture: an anyres image's high-resolution canvas.
    init(stitching tiles: ArraySlice<RGBImage>, rows: Int, columns: Int, tile: Int) {
        let width = columns * tile
        self.init(width: width, height: rows * tile)
        withUnsafeMutablePixels { out in
            for (t, crop) in tiles.enumerated() {
                let (tileRow, tileColumn) = t.quotientAndRemainder(dividingBy: columns)
                crop.pixels.withUnsafeBufferPointer { src in
                    for y in 0..<tile {
                        let o = ((tileRow * tile + y) * width + tileColumn * tile) * 3
                        for i in 0..<(tile * 3) { out[o + i] = src[y * tile * 3 + i] }
                    }
                }
            }
        }
    }
}

extension Tensor {
    /// The crops of a `[crops, C, H, W]` pixel tensor, each `[C, H, W]`.
    func cropSlices() -> [Tensor] {
        let shape = Array(self.shape.dropFirst()), size = shape.reduce(1, *)
        return withFloats { values in
            (0..<self.shape[0]).map { Tensor(shape: shape, values: Array(values[(($0) * size)..<(($0 + 1) * size)])) }
        }
    }
}

extension TokenGeometry {
    /// Regions of a packed anyres grid, row by row with a `nil` for each row's newline: the
    /// `unpadded` part of the canvas (in features of `patch` pixels) split into `rows × columns`
    /// cells — one feature each, or after OneVision's bilinear shrink a proportionally larger
    /// cell.
    static func packedGrid(unpadded size: (rows: Int, columns: Int, top: Int, left: Int), rows: Int, columns: Int,
                           patch: Int, canvas: Int) -> [Region?] {
        var regions: [Region?] = []
        for r in 0..<rows {
            let y0 = (size.top * rows + r * size.rows) * patch / rows, y1 = (size.top * rows + (r + 1) * size.rows) * patch / rows
            for c in 0..<columns {
                let x0 = (size.left * columns + c * size.columns) * patch / columns
                let x1 = (size.left * columns + (c + 1) * size.columns) * patch / columns
                regions.append(Region(canvas: canvas, x: x0, y: y0, width: x1 - x0, height: y1 - y0))
            }
            regions.append(nil)
        }
        return regions
    }
}
