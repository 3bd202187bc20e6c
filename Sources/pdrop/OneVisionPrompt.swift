import Imaging
import LLaVANeXT

/// The typical single-image LLaVA-OneVision prompt the OneVision presets of `pdrop bench` size
/// their image block by: one 1024×768 image, tiled as llava-hf's OneVision processor does
/// (`anyres_max_9`, pinpoints `[h, w]` for h, w ∈ {384, 768, …, 2304}, 384-pixel tiles of 27 × 27
/// SigLIP patches).
enum OneVisionPrompt {
    static let image = ImageSize(width: 1024, height: 768)
    static let tileSize = 384
    static let side = 27
    static let maxTiles = 9

    /// The 36 pinpoints, `[h, w]` for h, w ∈ {384, 768, …, 2304}.
    static var pinpoints: [ImageSize] {
        let sides = (1...6).map { $0 * tileSize }
        return sides.flatMap { h in sides.map { w in ImageSize(width: w, height: h) } }
    }

    /// Image tokens of the prompt: 4725 — the 768 × 1152 pinpoint, a 2 × 3 grid of 54 × 81 patches
    /// unpadded to 54 × 73 (transformers cuts ⌊(81 − 72) / 2⌋ = 4 columns each side), a newline
    /// after every row (54 · 74), after the base crop's 729.
    static var imageTokens: Int {
        let best = AnyResTiling.bestResolution(for: image, among: pinpoints)
        return FeaturePacking.oneVisionTokenCount(imageHeight: image.height, imageWidth: image.width,
                                                  gridRows: best.height / tileSize, gridColumns: best.width / tileSize,
                                                  side: side, tiles: true, maxTiles: maxTiles)
    }
}
