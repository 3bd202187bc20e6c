import Tensors
import WeightIO

/// A ViT's patch embedding, the convolution `Conv2d(C, D, kernel = stride = P)` without padding,
/// computed as a `Linear` over unfolded patches.
enum PatchEmbedding {
    /// Loads `\(name).weight` (`[D, C, P, P]`, flattened to `[D, C·P·P]` in (channel, ky, kx)
    /// order) and, with `bias`, `\(name).bias` (`[D]`), for the path `compute` gives the weight.
    static func load(_ store: WeightStore, name: String, config: some VisionEncoderConfig, bias: Bool,
                     compute: ComputeMode) throws -> Linear {
        let d = config.hiddenSize, p = config.patchSize, c = config.channels
        let weightName = "\(name).weight"
        let weight = try store.tensor(weightName, shape: [d, c, p, p]).reshaped([d, c * p * p])
        return try Linear(loaded: weight, named: weightName, from: store,
                          bias: bias ? try store.tensor("\(name).bias", shape: [d]) : nil, compute: compute)
    }

    /// The patches of `pixels` (`[C, S, S]`) as rows: `[patches, C·P·P]`, row `py·grid + px`
    /// holding its pixels in the kernel's (channel, ky, kx) order. Pixels beyond the last whole
    /// patch (when P does not divide S) are not read, as the convolution does not see them.
    static func unfold(_ pixels: Tensor, config: some VisionEncoderConfig) -> Tensor {
        let c = config.channels, s = config.imageSize, p = config.patchSize, g = config.gridSize
        var patches = Tensor(zeros: [config.patchCount, c * p * p])
        pixels.withFloats { src in
            patches.withMutableFloats { dst in
                var o = 0
                for py in 0..<g { for px in 0..<g { for ch in 0..<c { for ky in 0..<p {
                    (dst.baseAddress! + o).update(from: src.baseAddress! + (ch * s + py * p + ky) * s + px * p, count: p)
                    o += p
                } } } }
            }
        }
        return patches
    }
}
