import Tensors

/// CLIP image preprocessing exactly as transformers 5's `CLIPImageProcessorPil` computes it, which is
/// what llava-hf LLaVA-1.5 uses: shortest edge → `shortestEdge` (Pillow BICUBIC on uint8), centre
/// crop, then `x · rescaleFactor` in double rounded to f32, and `(x − mean) / std` in f32, CHW.
/// With `padColor` set it first pads the image to a square as original LLaVA-1.5 does
/// (`image_aspect_ratio "pad"`: `expand2square` with `int(255 · mean)` = (122, 116, 104)).
public struct CLIPPreprocessor: Sendable {
    /// Target length of the shorter side.
    public let shortestEdge: Int
    /// Size of the centre crop.
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
    /// Original LLaVA's padding colour, `int(255 · clipMean)`.
    public static let llavaPadColor = RGB(122, 116, 104)

    /// A preprocessor; the defaults are llava-hf LLaVA-1.5's (336, crop 336, CLIP mean/std, 1/255).
    /// `cropSize` defaults to a `shortestEdge` square.
    public init(shortestEdge: Int = 336, cropSize: ImageSize? = nil, mean: [Double] = clipMean,
                std: [Double] = clipStd, rescaleFactor: Double = 1.0 / 255.0, padColor: RGB? = nil) throws(ImagingError) {
        let crop = cropSize ?? ImageSize(width: shortestEdge, height: shortestEdge)
        guard shortestEdge > 0, crop.width > 0, crop.height > 0 else {
            throw .invalidArgument("CLIP preprocessing needs positive sizes, got shortest edge \(shortestEdge), crop \(crop)")
        }
        guard mean.count == 3, std.count == 3, std.allSatisfy({ $0 != 0 }) else {
            throw .invalidArgument("CLIP preprocessing needs 3 means and 3 non-zero standard deviations, got \(mean) and \(std)")
        }
        self.shortestEdge = shortestEdge
        self.cropSize = crop
        self.mean = mean
        self.std = std
        self.rescaleFactor = rescaleFactor
        self.padColor = padColor
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

    /// The uint8 stage: optional pad-to-square, shortest-edge resize, centre crop.
    public func resizedAndCropped(_ image: RGBImage) -> RGBImage {
        resizedAndCropped(image, padding: true)
    }

    func resizedAndCropped(_ image: RGBImage, padding: Bool) -> RGBImage {
        let padded = padding ? padColor.map { image.expandedToSquare(background: $0) } ?? image : image
        let resized = padded.resized(to: Self.shortestEdgeSize(of: padded.size, shortestEdge: shortestEdge))
        return resized.centerCropped(width: cropSize.width, height: cropSize.height)
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
