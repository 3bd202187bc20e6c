// LLaVA-OneVision's settings of the shared anyres tiling (transformers' LlavaOnevisionImageProcessorPil).

extension AnyResTiling {
    /// LLaVA-OneVision's tiling: pinpoints `[h, w]` with `h, w` in `tile, 2·tile, …, maxTiles·tile`
    /// (the checkpoints' 384…2304, row-major in `h`), crops resized whole to `tile` squares, SigLIP's
    /// mean and std, and the multi-image pad colour `int(255 · mean)`.
    public static func oneVision(tile: Int = 384, maxTiles: Int = 6, mean: [Double] = CLIPPreprocessor.siglipMean,
                                 std: [Double] = CLIPPreprocessor.siglipStd) throws(ImagingError) -> AnyResTiling {
        let preprocessor = try CLIPPreprocessor(resizingTo: ImageSize(width: tile, height: tile), mean: mean, std: std,
                                                padColor: mean.count == 3 ? CLIPPreprocessor.padColor(forMean: mean) : nil)
        guard maxTiles > 0 else {
            throw .invalidArgument("OneVision image_grid_pinpoints need at least one tile per side, got \(maxTiles)")
        }
        let sides = (1...maxTiles).map { $0 * tile }
        return try AnyResTiling(pinpoints: sides.flatMap { h in sides.map { ImageSize(width: $0, height: h) } },
                                preprocessor: preprocessor)
    }
}
