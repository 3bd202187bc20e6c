import Foundation
import Imaging
import LLaVA
import PyramidDrop
import Tensors
import Transformer

/// LLaVA-OneVision's image encoder (transformers' `LlavaOnevisionForConditionalGeneration`): a
/// prompt's only image is tiled at its best pinpoint (the whole image resized to a tile first),
/// every crop goes through the SigLIP tower and the projector, and the features are packed with
/// `image_newline` after every row, the grid shrunk bilinearly to about `maxTiles` tiles' worth
/// (`FeaturePacking.packOneVision`). In a prompt with several images each is only its base crop
/// plus one newline (`forPrompt(imageCount:)`). The tower has no class token, so crops carry no
/// tower evidence for pre-decoder policies; those that rank image features (DivPrune) work.
public struct OneVisionEncoder: ImageEncoder {
    public let model: LLaVAModel
    public let tiling: AnyResTiling
    /// `[textHidden]`, appended after every row of the grid (once after a lone base crop).
    public let imageNewline: Tensor
    /// `vision_aspect_ratio` `anyres_max_N`'s N.
    public let maxTiles: Int
    /// Whether images are tiled: true for a prompt's only image, false when it holds several.
    public let tiles: Bool

    /// The encoder of `model` (a `llava_onevision` checkpoint): the tiling of the folder's
    /// `preprocessor_config.json` (OneVision's defaults at the tower's size without one), whose
    /// pinpoints must equal config.json's `image_grid_pinpoints` when it has them.
    public init(model: LLaVAModel) throws {
        let checkpoint = model.checkpoint, config = model.config
        guard config.isOneVision, let maxTiles = config.maxTiles else {
            throw LLaVAError.invalidConfig(path: checkpoint.configPath, reason: "model_type '\(config.modelType)' is not llava_onevision")
        }
        let processorPath = checkpoint.folder + "/preprocessor_config.json"
        var tiling: AnyResTiling
        if FileManager.default.fileExists(atPath: processorPath) {
            tiling = try OneVisionPreprocessing.tiling(contentsOf: processorPath)
        } else {
            do {
                tiling = try AnyResTiling.oneVision(tile: config.vision.imageSize)
            } catch {
                throw LLaVAError.invalidConfig(path: checkpoint.configPath, reason: "\(error)")
            }
        }
        let pinpoints = config.gridPinpoints.map { ImageSize(width: $0.width, height: $0.height) }
        if !pinpoints.isEmpty && pinpoints != tiling.pinpoints {
            throw LLaVAError.invalidConfig(path: checkpoint.configPath,
                                           reason: "image_grid_pinpoints differ from those of \(processorPath)")
        }
        guard tiling.tileSize == config.vision.imageSize else {
            throw LLaVAError.invalidConfig(path: processorPath, reason: "tile size \(tiling.tileSize) differs from the tower's image_size \(config.vision.imageSize)")
        }
        self.init(model: model, tiling: tiling, imageNewline: try checkpoint.weights.tensor(checkpoint.layout.imageNewline, shape: [config.text.hiddenSize]),
                  maxTiles: maxTiles, tiles: true)
    }

    private init(model: LLaVAModel, tiling: AnyResTiling, imageNewline: Tensor, maxTiles: Int, tiles: Bool) {
        self.model = model
        self.tiling = tiling
        self.imageNewline = imageNewline
        self.maxTiles = maxTiles
        self.tiles = tiles
    }

    /// Tiled for a prompt with one image, the base crop alone for several (as transformers).
    public func forPrompt(imageCount: Int) -> any ImageEncoder {
        OneVisionEncoder(model: model, tiling: tiling, imageNewline: imageNewline, maxTiles: maxTiles, tiles: imageCount <= 1)
    }

    /// Tiles per column and row for an image of `size`.
    public func grid(for size: ImageSize) -> (rows: Int, columns: Int) { tiling.grid(for: size) }

    public func tokenCount(for size: ImageSize) -> Int {
        let (rows, columns) = grid(for: size)
        return FeaturePacking.oneVisionTokenCount(imageHeight: size.height, imageWidth: size.width, gridRows: rows, gridColumns: columns,
                                                  side: model.config.vision.gridSize, tiles: tiles, maxTiles: maxTiles)
    }

    public func features(for image: RGBImage) throws -> Tensor {
        try tokens(for: image, needs: []).features
    }

    public func tokens(for image: RGBImage, needs: VisionNeeds) throws -> ImageTokens {
        let pixels = tiling.pixelValues(image, tiles: tiles)
        let (rows, columns) = grid(for: image.size)
        let crops = try pixels.cropSlices().map { try model.observedFeatures($0, needs: needs, patchSources: []).features }
        let packed = FeaturePacking.packOneVision(crops: crops, gridRows: rows, gridColumns: columns, side: model.config.vision.gridSize,
                                                  imageHeight: image.height, imageWidth: image.width, newline: imageNewline, maxTiles: maxTiles)
        guard packed.shape[0] == tokenCount(for: image.size) else {
            throw LLaVAError.imageTokenMismatch(slots: tokenCount(for: image.size), features: packed.shape[0])
        }
        return ImageTokens(features: packed)
    }

    /// The base crop and, when tiled, the high-resolution canvas; grid tokens cover their share
    /// of the unpadded canvas (a larger share after the shrink), newlines nothing.
    public func geometry(for image: RGBImage) -> TokenGeometry {
        let crops = tiling.crops(image, tiles: tiles)
        let tile = tiling.tileSize, side = model.config.vision.gridSize, patch = tile / side
        let base = TokenGeometry.grid(side: side, patch: patch, canvas: 0)
        guard tiles else { return TokenGeometry(canvases: crops, regions: base + [nil]) }
        let (rows, columns) = grid(for: image.size)
        let size = FeaturePacking.unpaddedSize(rows: rows * side, columns: columns * side, imageHeight: image.height,
                                               imageWidth: image.width, rounding: .roundedToSevenDecimals)
        let shrunk = FeaturePacking.shrunk(rows: size.rows, columns: size.columns, side: side, maxTiles: maxTiles)
        let canvas = RGBImage(stitching: crops.dropFirst(), rows: rows, columns: columns, tile: tile)
        return TokenGeometry(canvases: [crops[0], canvas],
                             regions: base + TokenGeometry.packedGrid(unpadded: size, rows: shrunk.rows, columns: shrunk.columns, patch: patch, canvas: 1))
    }
}
