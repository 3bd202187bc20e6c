import Tensors

/// CLIP image preprocessing exactly as transformers 5's `CLIPImageProcessorPil` computes it, which is
/// what llava-hf LLaVA-1.5 uses: shortest edge → `shortestEdge` (Pillow BICUBIC on uint8), centre
/// crop, then `x · rescaleFactor` in double rounded to f32, and `(x − mean) / std` in f32, CHW.
/// With `padColor` set it first pads the image to a square as original LLaVA-1.5 does
/// (`image_aspect_ratio "pad"`: `expand2square` with `int(255 · mean)` = (122, 116, 104)).
/// Made with `init(resizingTo:…)` it resizes the whole image to the output size instead, with no
/// crop: transformers' `size {"height", "width"}` without `do_center_crop` (SigLIP, LLaVA-OneVision).
public struct CLIPPreprocessor: Sendable {
    /// How an image is brought to `cropSize`.
    public enum Resize: Sendable, Hashable {
        /// The shorter side to the given length (aspect kept), then the centre crop (CLIP).
        case shortestEdge(Int)
        /// The whole image to `cropSize`, aspect not kept, nothing cropped (SigLIP, OneVision).
        case wholeImage
    }

    /// The resize before normalisation.
    public let resize: Resize
    /// Size of the output: the centre crop, or the whole-image resize.
    public let cropSize: ImageSize
    /// Per-channel mean and standard deviation (R, G, B), applied in f32.
    public let mean: [Double], std: [Double]
    /// Multiplier taking bytes to [0, 1], applied in double (transformers' `rescale`).
    public let rescaleFactor: Double
    /// When set, images are first padded to a square of this colour (original LLaVA-1.5).
    public let padColor: RGB?

    /// OpenAI CLIP's normalisation constants.
    public static let clipMean = [0.48145466, 0.4578275, 0.40821073]
    public static let clipStd = [0.26862954, 0.26130258, 0.27577711]
    /// SigLIP's (and LLaVA-OneVision's) normalisation constants.
    public static let siglipMean = [0.5, 0.5, 0.5], siglipStd = [0.5, 0.5, 0.5]
    /// Original LLaVA's padding colour, `int(255 · clipMean)`.
    public static let llavaPadColor = padColor(forMean: clipMean)

    /// transformers' and original LLaVA's pad-to-square colour for `mean`: `int(255 · m)` per channel
    /// (truncated; values outside 0…255 are clamped), from the first three means.
    public static func padColor(forMean mean: [Double]) -> RGB {
        func byte(_ m: Double) -> UInt8 { UInt8(min(max(m * 255, 0), 255)) }
        return RGB(byte(mean[0]), byte(mean[1]), byte(mean[2]))
    }

    /// A preprocessor; the defaults are llava-hf LLaVA-1.5's (336, crop 336, CLIP mean/std, 1/255).
    /// `cropSize` defaults to a `shortestEdge` square.
    public init(shortestEdge: Int = 336, cropSize: ImageSize? = nil, mean: [Double] = clipMean,
                std: [Double] = clipStd, rescaleFactor: Double = 1.0 / 255.0, padColor: RGB? = nil) throws(ImagingError) {
        let crop = cropSize ?? ImageSize(width: shortestEdge, height: shortestEdge)
        guard shortestEdge > 0, crop.width > 0, crop.height > 0 else {
            throw .invalidArgument("CLIP preprocessing needs positive sizes, got size.shortest_edge \(shortestEdge), crop_size \(crop)")
        }
        try self.init(resize: .shortestEdge(shortestEdge), cropSize: crop, mean: mean, std: std,
                      rescaleFactor: rescaleFactor, padColor: padColor)
    }

    /// A preprocessor resizing the whole image to `size` (transformers' `size {"height", "width"}`, no
    /// centre crop), after the optional pad to a square of `padColor`; the defaults are SigLIP's.
    public init(resizingTo size: ImageSize, mean: [Double] = siglipMean, std: [Double] = siglipStd,
                rescaleFactor: Double = 1.0 / 255.0, padColor: RGB? = nil) throws(ImagingError) {
        guard size.width > 0, size.height > 0 else {
            throw .invalidArgument("image preprocessing needs a positive size, got height \(size.height), width \(size.width)")
        }
        try self.init(resize: .wholeImage, cropSize: size, mean: mean, std: std, rescaleFactor: rescaleFactor, padColor: padColor)
    }

    private init(resize: Resize, cropSize: ImageSize, mean: [Double], std: [Double], rescaleFactor: Double,
                 padColor: RGB?) throws(ImagingError) {
        guard mean.count == 3, std.count == 3, std.allSatisfy({ $0 != 0 }) else {
            throw .invalidArgument("image preprocessing needs 3 values of image_mean and 3 non-zero of image_std, got \(mean) and \(std)")
        }
        self.resize = resize
        self.cropSize = cropSize
        self.mean = mean
        self.std = std
        self.rescaleFactor = rescaleFactor
        self.padColor = padColor
    }

    /// The target length of the shorter side; nil when the whole image is resized.
    public var shortestEdge: Int? {
        if case let .shortestEdge(edge) = resize { edge } else { nil }
    }

    /// The size anyres resizes the whole image to for its base crop (transformers' `size_tuple`):
    /// a `shortestEdge` square, or the output size.
    var baseSize: ImageSize {
        shortestEdge.map { ImageSize(width: $0, height: $0) } ?? cropSize
    }

    /// transformers' `get_resize_output_image_size(default_to_square=False)`: the shorter side
    /// becomes `shortestEdge`, the longer `int(shortestEdge · long / short)` (in double, truncated).
    public static func shortestEdgeSize(of size: ImageSize, shortestEdge: Int) -> ImageSize {
        let short = min(size.width, size.height), long = max(size.width, size.height)
        let newLong = Int(Double(shortestEdge * long) / Double(short))
        return size.width <= size.height
            ? ImageSize(width: shortestEdge, height: newLong)
            : ImageSize(width: newLong, height: shortestEdge)
    }

    /// The uint8 stage: optional pad-to-square, then the shortest-edge resize and centre crop, or the
    /// whole-image resize.
    public func resizedAndCropped(_ image: RGBImage) -> RGBImage {
        resizedAndCropped(image, padding: true)
    }

    func resizedAndCropped(_ image: RGBImage, padding: Bool) -> RGBImage {
        let padded = padding ? padColor.map { image.expandedToSquare(background: $0) } ?? image : image
        switch resize {
        case let .shortestEdge(edge):
            let resized = padded.resized(to: Self.shortestEdgeSize(of: padded.size, shortestEdge: edge))
            return resized.centerCropped(width: cropSize.width, height: cropSize.height)
        case .wholeImage:
            return padded.resized(to: cropSize)
        }
    }

    /// `pixel_values` for one image: `[3, cropHeight, cropWidth]`.
    public func pixelValues(_ image: RGBImage) -> Tensor {
        normalized(resizedAndCropped(image))
    }

    /// Rescales and normalises `image` as is (no resize or crop) into a `[3, height, width]` tensor.
    public func normalized(_ image: RGBImage) -> Tensor {
        var tensor = Tensor(zeros: [3, image.height, image.width])
        write(image, into: &tensor, at: 0)
        return tensor
    }

    /// Writes the normalised planes of `image` into `tensor` from float offset `offset` on.
    func write(_ image: RGBImage, into tensor: inout Tensor, at offset: Int) {
        let table = lookupTable()
        let plane = image.width * image.height
        tensor.withMutableFloats { out in
            image.pixels.withUnsafeBufferPointer { src in
                table.withUnsafeBufferPointer { table in
                    for c in 0..<3 {
                        let target = out.baseAddress! + offset + c * plane
                        let values = table.baseAddress! + c * 256
                        for i in 0..<plane {
                            target[i] = values[Int(src[3 * i + c])]
                        }
                    }
                }
            }
        }
    }

    /// `table[c · 256 + v]` = the normalised value of byte `v` in channel `c`, computed as numpy does:
    /// `float32(float64(v) · rescaleFactor)`, then `(x − float32(mean)) / float32(std)` in f32.
    func lookupTable() -> [Float] {
        var table = [Float](repeating: 0, count: 3 * 256)
        for c in 0..<3 {
            let m = Float(mean[c]), s = Float(std[c])
            for v in 0..<256 {
                table[c * 256 + v] = (Float(Double(v) * rescaleFactor) - m) / s
            }
        }
        return table
    }
}
