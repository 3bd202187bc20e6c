import Imaging
import LLaVA
import PyramidDrop
import Tensors
import Transformer

/// LLaVA-NeXT's image encoder: the image is tiled at the best pinpoint resolution (plus a base
/// crop of the whole image), every crop goes through the vision tower and projector, and the
/// features are packed spatially with `image_newline` after each row (see `FeaturePacking`).
/// PyramidDrop treats the whole packed block — base, grid and newlines — as one candidate pool.
public struct AnyResEncoder: ImageEncoder {
    public let model: LLaVAModel
    public let tiling: AnyResTiling
    /// `[textHidden]`, appended after every row of the grid.
    public let imageNewline: Tensor
    public let rounding: FeaturePacking.Rounding

    public init(model: LLaVAModel) throws {
        guard !model.config.gridPinpoints.isEmpty else {
            throw LLaVAError.invalidConfig(path: model.checkpoint.configPath, reason: "anyres needs image_grid_pinpoints")
        }
        guard model.config.selection == .patches else {
            throw LLaVAError.invalidConfig(path: model.checkpoint.configPath, reason: "anyres packing needs the 'default' (patch) feature selection")
        }
        self.model = model
        let pinpoints = model.config.gridPinpoints.map { ImageSize(width: $0.width, height: $0.height) }
        do {
            tiling = try AnyResTiling(pinpoints: pinpoints, preprocessor: try model.checkpoint.clipPreprocessor())
        } catch let error as ImagingError {
            throw LLaVAError.invalidConfig(path: model.checkpoint.configPath, reason: "\(error)")
        }
        imageNewline = try model.checkpoint.weights.tensor(model.checkpoint.layout.imageNewline, shape: [model.config.text.hiddenSize])
        rounding = model.checkpoint.followsOriginalRepository ? .truncated : .roundedToSevenDecimals
    }

    /// Tiles per column and row for an image of `size`.
    public func grid(for size: ImageSize) -> (rows: Int, columns: Int) { tiling.grid(for: size) }

    public func tokenCount(for size: ImageSize) -> Int {
        let (rows, columns) = grid(for: size)
        return FeaturePacking.tokenCount(imageHeight: size.height, imageWidth: size.width, gridRows: rows, gridColumns: columns,
                                         side: model.config.vision.gridSize, rounding: rounding)
    }

    public func features(for image: RGBImage) throws -> Tensor {
        try tokens(for: image, needs: []).features
    }

    /// The packed features and, with `needs`, every crop's tower outputs (base first, then the
    /// tiles row-major) for per-tile policies, each patch mapped to its token in the packed block.
    public func tokens(for image: RGBImage, needs: VisionNeeds) throws -> ImageTokens {
        let pixels = tiling.pixelValues(image)                          // [1 + tiles, 3, S, S]
        let (rows, columns) = grid(for: image.size)
        guard pixels.shape[0] == 1 + rows * columns else {
            throw LLaVAError.imageTokenMismatch(slots: 1 + rows * columns, features: pixels.shape[0])
        }
        let sources = patchSources(for: image.size)
        let observed = try pixels.cropSlices().enumerated().map { i, crop in
            try model.observedFeatures(crop, needs: needs, patchSources: sources[i])
        }
        let packed = FeaturePacking.pack(crops: observed.map(\.features), gridRows: rows, gridColumns: columns, side: model.config.vision.gridSize,
                                         imageHeight: image.height, imageWidth: image.width, newline: imageNewline, rounding: rounding)
        guard packed.shape[0] == tokenCount(for: image.size) else {
            throw LLaVAError.imageTokenMismatch(slots: tokenCount(for: image.size), features: packed.shape[0])
        }
        let crops = observed.compactMap(\.crop)
        guard !crops.isEmpty else { return ImageTokens(features: packed) }
        return ImageTokens(features: packed, crops: crops, layout: .grid(rows: rows, columns: columns, side: model.config.vision.gridSize),
                           project: model.projection)
    }

    /// Per crop (base first, then the tiles row-major), each patch's index in the packed block:
    /// the base crop's patches come first; a tile's patch is in the block when unpadding keeps it,
    /// after the rows above it and their newlines.
    public func patchSources(for size: ImageSize) -> [[Int?]] {
        let (rows, columns) = grid(for: size)
        let side = model.config.vision.gridSize
        let kept = FeaturePacking.unpaddedSize(rows: rows * side, columns: columns * side, imageHeight: size.height,
                                               imageWidth: size.width, rounding: rounding)
        let base: [Int?] = Array(0..<(side * side))
        let tiles = (0..<(rows * columns)).map { t -> [Int?] in
            (0..<(side * side)).map { p -> Int? in
                let r = (t / columns) * side + p / side - kept.top, c = (t % columns) * side + p % side - kept.left
                guard r >= 0, r < kept.rows, c >= 0, c < kept.columns else { return nil }
                return side * side + r * (kept.columns + 1) + c
            }
        }
        return [base] + tiles
    }

    /// The base crop and the high-resolution canvas (the tiles put back together); base tokens
    /// cover the base crop's patches, grid tokens the unpadded part of the canvas, row
    /// separators nothing.
    public func geometry(for image: RGBImage) -> TokenGeometry {
        let crops = tiling.crops(image)
        let (rows, columns) = grid(for: image.size)
        let tile = tiling.tileSize, side = model.config.vision.gridSize, patch = tile / side
        let canvas = RGBImage(stitching: crops.dropFirst(), rows: rows, columns: columns, tile: tile)
        let size = FeaturePacking.unpaddedSize(rows: rows * side, columns: columns * side, imageHeight: image.height,
                                               imageWidth: image.width, rounding: rounding)
        let regions = TokenGeometry.grid(side: side, patch: patch, canvas: 0)
            + TokenGeometry.packedGrid(unpadded: size, rows: size.rows, columns: size.columns, patch: patch, canvas: 1)
        return TokenGeometry(canvases: [crops[0], canvas], regions: regions)
    }
}
