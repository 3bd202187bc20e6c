import Foundation
import Tensors

extension FeaturePacking {
    /// LLaVA-OneVision's packing of one image (transformers' `LlavaOnevisionModel.pack_image_features`
    /// with `vision_aspect_ratio = "anyres_max_<maxTiles>"`): with tiles, the base crop's features,
    /// then the tiles' grid re-assembled and unpadded as LLaVA-NeXT's, shrunk bilinearly to
    /// `⌊rows / r⌋ × ⌊columns / r⌋` when `r = √(rows · columns / (maxTiles · side²))` exceeds 1.1, with
    /// `newline` after every row; a lone crop (several images in one prompt) is its features and
    /// one `newline`. `crops` are `[side², D]` each, the base first, then the tiles row-major.
    public static func packOneVision(crops: [Tensor], gridRows: Int, gridColumns: Int, side: Int, imageHeight height: Int,
                                     imageWidth width: Int, newline: Tensor, maxTiles: Int) -> Tensor {
        let d = newline.count
        guard crops.count > 1 else {
            return Tensor(concatenatingRows: [crops[0], newline.reshaped([1, d])], width: d)
        }
        precondition(crops.count == 1 + gridRows * gridColumns, "packOneVision: \(crops.count) crops for a \(gridRows)×\(gridColumns) grid")
        let size = unpaddedSize(rows: gridRows * side, columns: gridColumns * side, imageHeight: height, imageWidth: width,
                                rounding: .roundedToSevenDecimals)
        var grid = stitchedGrid(crops, gridColumns: gridColumns, side: side, size: size)
        let (rows, columns, resized) = shrunk(rows: size.rows, columns: size.columns, side: side, maxTiles: maxTiles)
        if resized { grid = BilinearResize.resize(grid, height: size.rows, width: size.columns, to: rows, columns) }
        return assemble(base: crops[0], grid: grid, rows: rows, columns: columns, newline: newline)
    }

    /// Image tokens of `packOneVision` for the same arguments, computed from the sizes alone.
    public static func oneVisionTokenCount(imageHeight height: Int, imageWidth width: Int, gridRows: Int, gridColumns: Int,
                                           side: Int, tiles: Bool, maxTiles: Int) -> Int {
        guard tiles else { return side * side + 1 }
        let size = unpaddedSize(rows: gridRows * side, columns: gridColumns * side, imageHeight: height, imageWidth: width,
                                rounding: .roundedToSevenDecimals)
        let (rows, columns, _) = shrunk(rows: size.rows, columns: size.columns, side: side, maxTiles: maxTiles)
        return side * side + rows * (columns + 1)
    }

    /// Rows and columns after the shrink to at most about `maxTiles` tiles' worth of features.
    static func shrunk(rows: Int, columns: Int, side: Int, maxTiles: Int) -> (rows: Int, columns: Int, resized: Bool) {
        let ratio = (Double(rows * columns) / Double(maxTiles * side * side)).squareRoot()
        guard ratio > 1.1 else { return (rows, columns, false) }
        return (pythonFloorDivide(Double(rows), ratio), pythonFloorDivide(Double(columns), ratio), true)
    }

    /// `int(a // b)` as Python computes float floor division (from `fmod`, then rounded).
    static func pythonFloorDivide(_ a: Double, _ b: Double) -> Int {
        let mod = fmod(a, b)
        var div = (a - mod) / b
        if mod != 0 && (b < 0) != (mod < 0) { div -= 1 }
        var floored = div.rounded(.down)
        if div - floored > 0.5 { floored += 1 }
        return Int(floored)
    }
}
