/// Bilinear resizing of a channels-last grid, as PyTorch's `interpolate(mode="bilinear",
/// align_corners=False)` computes it (no antialiasing): output row `o` samples the input at
/// `max(0, (o + 0.5) · in/out − 0.5)`, between that row and the next (clamped at the edge).
public enum BilinearResize {
    /// `grid` (`[height · width, channels]`, row-major over the grid) resized to `[newHeight · newWidth, channels]`.
    public static func resize(_ grid: Tensor, height: Int, width: Int, to newHeight: Int, _ newWidth: Int) -> Tensor {
        precondition(grid.rank == 2 && grid.shape[0] == height * width && newHeight > 0 && newWidth > 0,
                     "BilinearResize: \(grid.shape) is not a \(height)×\(width) grid, or the target \(newHeight)×\(newWidth) is empty")
        let channels = grid.shape[1]
        let rows = taps(from: height, to: newHeight), columns = taps(from: width, to: newWidth)
        var out = Tensor(zeros: [newHeight * newWidth, channels])
        grid.withFloats { src in
            out.withMutableFloats { dst in
                for (y, row) in rows.enumerated() {
                    for (x, column) in columns.enumerated() {
                        let o = (y * newWidth + x) * channels
                        let a = (row.low * width + column.low) * channels, b = (row.low * width + column.high) * channels
                        let c = (row.high * width + column.low) * channels, d = (row.high * width + column.high) * channels
                        for ch in 0..<channels {
                            let top = column.lowWeight * src[a + ch] + column.highWeight * src[b + ch]
                            let bottom = column.lowWeight * src[c + ch] + column.highWeight * src[d + ch]
                            dst[o + ch] = row.lowWeight * top + row.highWeight * bottom
                        }
                    }
                }
            }
        }
        return out
    }

    /// The two input indices and weights each output index reads along one axis.
    struct Tap {
        let low: Int, high: Int
        let lowWeight: Float, highWeight: Float
    }

    static func taps(from size: Int, to newSize: Int) -> [Tap] {
        let scale = Float(size) / Float(newSize)
        return (0..<newSize).map { o in
            let source = max(0, scale * (Float(o) + 0.5) - 0.5)
            let low = Int(source)
            let high = low < size - 1 ? low + 1 : low
            let weight = source - Float(low)
            return Tap(low: low, high: high, lowWeight: 1 - weight, highWeight: weight)
        }
    }
}
