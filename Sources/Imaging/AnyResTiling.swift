import Tensors

/// The "anyres" preprocessing exactly as transformers 5's `LlavaNextImageProcessorPil` and
/// `LlavaOnevisionImageProcessorPil`: pick the best pinpoint resolution, resize keeping the aspect
/// ratio (Pillow BICUBIC), pad with black to the pinpoint (centred, the odd pixel after), cut
/// row-major tiles, and put the whole image resized first (NeXT: to a `shortestEdge` square;
/// OneVision, a `CLIPPreprocessor(resizingTo:)`: to the output size); every crop then goes through
/// the preprocessor (a no-op resize, and crop, at tile size).
///
/// Without tiles (`tiles: false`) an image is only the preprocessor's own crop, after its pad to a
/// square: OneVision's rule for a prompt with several images (transformers' `batch_num_images` > 1,
/// images given nested per prompt), padding with `int(255 · mean)`.
public struct AnyResTiling: Sendable {
    /// Candidate canvas sizes (transformers' `image_grid_pinpoints`, read as [height, width]).
    public let pinpoints: [ImageSize]
    /// Per-crop preprocessing; its crop height is the tile size. Its `padColor` is used only
    /// without tiles: anyres tiling never pads to a square.
    public let preprocessor: CLIPPreprocessor

    /// Tiling over `pinpoints` with the crops processed by `preprocessor`.
    public init(pinpoints: [ImageSize], preprocessor: CLIPPreprocessor) throws(ImagingError) {
        guard !pinpoints.isEmpty, pinpoints.allSatisfy({ $0.width > 0 && $0.height > 0 }) else {
            throw .invalidArgument("anyres needs at least one positive image_grid_pinpoints entry, got \(pinpoints)")
        }
        self.pinpoints = pinpoints
        self.preprocessor = preprocessor
    }

    /// The side of a tile (transformers' `patch_size`: the crop height).
    public var tileSize: Int { preprocessor.cropSize.height }

    /// The feature grid's tiles per column and row for an image of `size` (transformers'
    /// `get_anyres_image_grid_shape`: the best pinpoint over the tile size).
    public func grid(for size: ImageSize) -> (rows: Int, columns: Int) {
        let best = Self.bestResolution(for: size, among: pinpoints)
        return (best.height / tileSize, best.width / tileSize)
    }

    /// How many crops an image of `size` gives: 1 + the tiles of its best pinpoint (transformers'
    /// `image_size_to_num_patches`, partial edge tiles counted), or 1 without tiles.
    public func cropCount(for size: ImageSize, tiles: Bool = true) -> Int {
        guard tiles else { return 1 }
        let canvas = Self.bestResolution(for: size, among: pinpoints)
        let tile = tileSize
        return 1 + (canvas.height + tile - 1) / tile * ((canvas.width + tile - 1) / tile)
    }

    /// transformers' `select_best_resolution`: the pinpoint keeping the most of the image's pixels
    /// (`int(W·s)·int(H·s)` with `s = min(pw/W, ph/H)`, at most W·H), ties broken by the least
    /// wasted area, then by order.
    public static func bestResolution(for size: ImageSize, among pinpoints: [ImageSize]) -> ImageSize {
        var best = pinpoints[0], bestEffective = 0, bestWaste = Int.max
        let width = Double(size.width), height = Double(size.height)
        for candidate in pinpoints {
            let scale = min(Double(candidate.width) / width, Double(candidate.height) / height)
            let effective = min(Int(width * scale) * Int(height * scale), size.width * size.height)
            let waste = candidate.width * candidate.height - effective
            if effective > bestEffective || (effective == bestEffective && waste < bestWaste) {
                best = candidate
                bestEffective = effective
                bestWaste = waste
            }
        }
        return best
    }

    /// transformers' `get_patch_output_size`: `size` scaled to fit `target` keeping its aspect, the
    /// free side `min(ceil(side · scale), target side)`, in double and in that order.
    public static func aspectFitSize(of size: ImageSize, in target: ImageSize) -> ImageSize {
        let scaleW = Double(target.width) / Double(size.width)
        let scaleH = Double(target.height) / Double(size.height)
        if scaleW < scaleH {
            return ImageSize(width: target.width, height: min(Int((Double(size.height) * scaleW).rounded(.up)), target.height))
        }
        return ImageSize(width: min(Int((Double(size.width) * scaleH).rounded(.up)), target.width), height: target.height)
    }

    /// The uint8 crops before normalisation: `[base] + tiles` (row-major), each of the
    /// preprocessor's crop size after its per-crop resize (and centre crop); without `tiles`, only
    /// the preprocessor's crop of the image (pad to square first when it has a `padColor`).
    public func crops(_ image: RGBImage, tiles: Bool = true) -> [RGBImage] {
        guard tiles else { return [preprocessor.resizedAndCropped(image)] }
        let canvas = Self.bestResolution(for: image.size, among: pinpoints)
        let fitted = image.resized(to: Self.aspectFitSize(of: image.size, in: canvas))
        let padded = fitted.padded(to: canvas, x: (canvas.width - fitted.width) / 2,
                                   y: (canvas.height - fitted.height) / 2)
        var crops = [image.resized(to: preprocessor.baseSize)]
        let tile = tileSize
        for top in stride(from: 0, to: canvas.height, by: tile) {
            for left in stride(from: 0, to: canvas.width, by: tile) {
                // numpy slicing: tiles at the right or bottom edge may be partial.
                crops.append(padded.cropped(x: left, y: top, width: min(tile, canvas.width - left),
                                            height: min(tile, canvas.height - top)))
            }
        }
        return crops.map { preprocessor.resizedAndCropped($0, padding: false) }
    }

    /// `pixel_values` for one image: `[cropCount, 3, cropHeight, cropWidth]` (transformers' rows
    /// before batch padding: `[1 + tiles, …]`, or `[1, …]` without `tiles`).
    public func pixelValues(_ image: RGBImage, tiles: Bool = true) -> Tensor {
        let crops = crops(image, tiles: tiles)
        let size = preprocessor.cropSize
        let perCrop = 3 * size.width * size.height
        var tensor = Tensor(zeros: [crops.count, 3, size.height, size.width])
        for (index, crop) in crops.enumerated() {
            preprocessor.write(crop, into: &tensor, at: index * perCrop)
        }
        return tensor
    }
}
