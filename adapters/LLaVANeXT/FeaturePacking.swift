import Foundation
import Tensors

/// LLaVA-NeXT's spatial packing of per-crop features into one image block: the base crop's
/// features, then the high-resolution grid re-assembled row by row, the padding added by the
/// aspect-keeping resize cut away ("unpad"), and `image_newline` after every row.
public enum FeaturePacking {
    /// How `unpad` rounds the scaled size: transformers uses `int(round(x, 7))`, the original
    /// repository `int(x)`.
    public enum Rounding: Sendable {
        case roundedToSevenDecimals
        case truncated
    }

    /// Rows and columns of features kept after unpadding a `rows × columns` grid of an image of
    /// `height × width` pixels.
    public static func unpaddedSize(rows: Int, columns: Int, imageHeight height: Int, imageWidth width: Int,
                                    rounding: Rounding) -> (rows: Int, columns: Int, top: Int, left: Int) {
        func scaled(_ x: Double) -> Int {
            switch rounding {
            case .roundedToSevenDecimals: return Int((x * 1e7).rounded(.toNearestOrEven) / 1e7)
            case .truncated: return Int(x)
            }
        }
        if Double(width) / Double(height) > Double(columns) / Double(rows) {
            let newHeight = scaled(Double(height) * (Double(columns) / Double(width)))
            let padding = (rows - newHeight) / 2
            return (rows - 2 * padding, columns, padding, 0)
        } else {
            let newWidth = scaled(Double(width) * (Double(rows) / Double(height)))
            let padding = (columns - newWidth) / 2
            return (rows, columns - 2 * padding, 0, padding)
        }
    }

    /// Image tokens for an image of `height × width` whose tiles form a `gridRows × gridColumns`
    /// grid, with `side × side` features per tile (plus `extra` per tile, e.g. a kept class token,
    /// which only the base crop contributes): base + unpadded grid + one newline per grid row.
    public static func tokenCount(imageHeight height: Int, imageWidth width: Int, gridRows: Int, gridColumns: Int,
                                  side: Int, rounding: Rounding) -> Int {
        let size = unpaddedSize(rows: gridRows * side, columns: gridColumns * side, imageHeight: height, imageWidth: width, rounding: rounding)
        return side * side + size.rows * size.columns + size.rows
    }

    /// Packs `crops` (`[1 + gridRows·gridColumns]` tensors of `[side·side, D]`: the base crop first,
    /// then the tiles row-major) into `[tokens, D]`.
    public static func pack(crops: [Tensor], gridRows: Int, gridColumns: Int, side: Int, imageHeight height: Int, imageWidth width: Int,
                            newline: Tensor, rounding: Rounding) -> Tensor {
        precondition(crops.count == 1 + gridRows * gridColumns, "pack: \(crops.count) crops for a \(gridRows)×\(gridColumns) grid")
        let size = unpaddedSize(rows: gridRows * side, columns: gridColumns * side, imageHeight: height, imageWidth: width, rounding: rounding)
        return assemble(base: crops[0], grid: stitchedGrid(crops, gridColumns: gridColumns, side: side, size: size),
                        rows: size.rows, columns: size.columns, newline: newline)
    }

    /// The tiles' features put back into one grid, cut to the unpadded `size`: `[rows · columns, D]`.
    static func stitchedGrid(_ crops: [Tensor], gridColumns: Int, side: Int,
                             size: (rows: Int, columns: Int, top: Int, left: Int)) -> Tensor {
        let d = crops[0].shape[1]
        var out = Tensor(zeros: [size.rows * size.columns, d])
        out.withMutableFloats { dst in
            var o = 0
            for r in size.top..<(size.top + size.rows) {
                let (tileRow, y) = r.quotientAndRemainder(dividingBy: side)
                for c in size.left..<(size.left + size.columns) {
                    let (tileColumn, x) = c.quotientAndRemainder(dividingBy: side)
                    crops[1 + tileRow * gridColumns + tileColumn].withFloats { src in
                        (dst.baseAddress! + o).update(from: src.baseAddress! + (y * side + x) * d, count: d)
                    }
                    o += d
                }
            }
        }
        return out
    }

    /// `base`, then each of the `rows` rows of `grid` followed by `newline`.
    static func assemble(base: Tensor, grid: Tensor, rows: Int, columns: Int, newline: Tensor) -> Tensor {
        let d = newline.count
        var out = Tensor(zeros: [base.shape[0] + rows * (columns + 1), d])
        out.withMutableFloats { dst in
            base.withFloats { dst.baseAddress!.update(from: $0.baseAddress!, count: base.count) }
            grid.withFloats { src in
                newline.withFloats { line in
                    var o = base.count
                    for r in 0..<rows {
                        (dst.baseAddress! + o).update(from: src.baseAddress! + r * columns * d, count: columns * d)
                        o += columns * d
                        (dst.baseAddress! + o).update(from: line.baseAddress!, count: d)
                        o += d
                    }
                }
            }
        }
        return out
    }
}
