import Imaging

/// Where the image tokens of one image come from, for drawing them: the pictures the tower saw
/// (`canvases`: LLaVA-1.5's square crop; LLaVA-NeXT's base crop and its high-resolution canvas)
/// and, for each image token in prompt order, the rectangle it covers (`nil` for tokens that
/// cover no pixels, such as LLaVA-NeXT's row separators or a kept class token).
public struct TokenGeometry: Sendable {
    /// A token's patch: a rectangle on one canvas.
    public struct Region: Sendable, Equatable {
        public let canvas: Int
        public let x: Int, y: Int, width: Int, height: Int

        public init(canvas: Int, x: Int, y: Int, width: Int, height: Int) {
            self.canvas = canvas
            self.x = x
            self.y = y
            self.width = width
            self.height = height
        }
    }

    public let canvases: [RGBImage]
    public let regions: [Region?]

    public init(canvases: [RGBImage], regions: [Region?]) {
        self.canvases = canvases
        self.regions = regions
    }

    /// Several images' geometries one after another (a prompt's images in order): their
    /// canvases stacked, each region renumbered to its canvas there.
    public init(concatenating parts: [TokenGeometry]) {
        var canvases: [RGBImage] = [], regions: [Region?] = []
        for part in parts {
            let offset = canvases.count
            canvases += part.canvases
            regions += part.regions.map { $0.map { Region(canvas: $0.canvas + offset, x: $0.x, y: $0.y, width: $0.width, height: $0.height) } }
        }
        self.init(canvases: canvases, regions: regions)
    }

    /// Regions of a `side × side` grid of `patch`-pixel patches on `canvas`, row-major.
    public static func grid(side: Int, patch: Int, canvas: Int) -> [Region?] {
        (0..<(side * side)).map { Region(canvas: canvas, x: ($0 % side) * patch, y: ($0 / side) * patch, width: patch, height: patch) }
    }
}

extension SingleCropEncoder {
    /// The square crop the tower saw and one patch per token (the class token, if kept, covers none).
    public func geometry(for image: RGBImage) -> TokenGeometry {
        let vision = model.config.vision
        let patches = TokenGeometry.grid(side: vision.gridSize, patch: vision.patchSize, canvas: 0)
        return TokenGeometry(canvases: [preprocessor.resizedAndCropped(image)],
                             regions: model.config.selection == .full ? [nil] + patches : patches)
    }
}
