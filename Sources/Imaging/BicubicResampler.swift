/// Pillow's `Image.resize(size, Image.BICUBIC)` on 8-bit RGB, bit for bit (src/libImaging/Resample.c).
///
/// Separable convolution with the cubic kernel a = −0.5, support 2 widened by the scale when
/// downsampling (antialiasing); weights computed in double, normalised per output pixel, then turned
/// into 22-bit fixed point. Each pass writes a clipped 8-bit intermediate, so the order of the passes
/// shows in the result. Normally the horizontal pass runs first, over only the source rows the
/// vertical pass reads. Pillow 13 (PR #9549) runs the vertical pass first when the height shrinks by
/// more than twice what the width does: `h < H && H − h > 2·(W − w)` (checked against Pillow 13.0.0
/// on hundreds of random sizes). A pass is skipped when its axis keeps its size.
public enum BicubicResampler {
    /// `image` resized to `width`×`height` (both ≥ 1). The same size returns the image unchanged.
    public static func resize(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        precondition(width > 0 && height > 0, "resize needs a positive size, got \(width)×\(height)")
        let needHorizontal = width != image.width, needVertical = height != image.height
        guard needHorizontal || needVertical else { return image }
        let vertical = Coefficients(inSize: image.height, outSize: height)
        guard needHorizontal else { return verticalPass(image, rowOffset: 0, vertical) }
        if verticalFirst(from: image.size, to: ImageSize(width: width, height: height)), needVertical {
            let strip = verticalPass(image, rowOffset: 0, vertical)
            return horizontalPass(strip, rows: 0..<height, Coefficients(inSize: image.width, outSize: width))
        }
        // Only the source rows the vertical pass will read.
        let firstRow = vertical.bounds[0]
        let lastRow = vertical.bounds[2 * (height - 1)] + vertical.bounds[2 * (height - 1) + 1]
        let horizontal = Coefficients(inSize: image.width, outSize: width)
        let strip = horizontalPass(image, rows: firstRow..<lastRow, horizontal)
        return needVertical ? verticalPass(strip, rowOffset: firstRow, vertical) : strip
    }

    /// Whether Pillow 13 resamples vertically first: the height shrinks, by more than twice as many
    /// pixels as the width does.
    static func verticalFirst(from source: ImageSize, to target: ImageSize) -> Bool {
        target.height < source.height && source.height - target.height > 2 * (source.width - target.width)
    }

    /// Per output index: the first source index and the tap count, and that many fixed-point weights
    /// (stride `taps`), as Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` compute them.
    struct Coefficients {
        /// `[first0, count0, first1, count1, …]`.
        var bounds: [Int]
        /// `outSize × taps` weights in 22-bit fixed point; entries past a pixel's count are 0.
        var weights: [Int32]
        /// Maximum taps per output pixel (`ceil(support) * 2 + 1`).
        var taps: Int

        static let precisionBits = 22

        init(inSize: Int, outSize: Int) {
            // `(double)(in1 - in0) / outSize` with float box edges: exact for sizes below 2^24.
            let scale = Double(Float(inSize)) / Double(outSize)
            let filterScale = max(scale, 1.0)
            let support = 2.0 * filterScale
            taps = Int(support.rounded(.up)) * 2 + 1
            bounds = [Int](repeating: 0, count: 2 * outSize)
            weights = [Int32](repeating: 0, count: outSize * taps)
            let inverseFilterScale = 1.0 / filterScale
            let one = Double(1 << Self.precisionBits)
            var kernel = [Double](repeating: 0, count: taps)
            for xx in 0..<outSize {
                let center = (Double(xx) + 0.5) * scale
                let xmin = max(Int(center - support + 0.5), 0)
                let count = min(Int(center + support + 0.5), inSize) - xmin
                var sum = 0.0
                for x in 0..<count {
                    let w = Self.bicubic((Double(x + xmin) - center + 0.5) * inverseFilterScale)
                    kernel[x] = w
                    sum += w
                }
                for x in 0..<count {
                    let w = sum != 0 ? kernel[x] / sum : kernel[x]
                    weights[xx * taps + x] = w < 0 ? Int32(-0.5 + w * one) : Int32(0.5 + w * one)
                }
                bounds[2 * xx] = xmin
                bounds[2 * xx + 1] = count
            }
        }

        /// Keys' cubic convolution kernel with a = −0.5, evaluated in Pillow's operation order.
        @inline(__always) static func bicubic(_ value: Double) -> Double {
            let a = -0.5
            let x = value < 0 ? -value : value
            if x < 1 { return ((a + 2.0) * x - (a + 3.0)) * x * x + 1 }
            if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0
        }
    }

    /// Pillow's `clip8`: the accumulator shifted out of fixed point, clamped to 0…255.
    @inline(__always) static func clip8(_ accumulator: Int32) -> UInt8 {
        let v = accumulator >> Int32(Coefficients.precisionBits)
        return v < 0 ? 0 : v > 255 ? 255 : UInt8(truncatingIfNeeded: v)
    }

    static let half = Int32(1) << Int32(Coefficients.precisionBits - 1)

    /// Resamples each row of `rows` horizontally to `c.bounds.count / 2` pixels.
    static func horizontalPass(_ image: RGBImage, rows: Range<Int>, _ c: Coefficients) -> RGBImage {
        let outWidth = c.bounds.count / 2, inWidth = image.width, taps = c.taps
        return image.pixels.withUnsafeBufferPointer { source in
            c.weights.withUnsafeBufferPointer { weights in
                c.bounds.withUnsafeBufferPointer { bounds in
                    RGBImage(width: outWidth, height: rows.count) { out in
                        for row in 0..<rows.count {
                            let line = source.baseAddress! + (rows.lowerBound + row) * inWidth * 3
                            let target = out.baseAddress! + row * outWidth * 3
                            for xx in 0..<outWidth {
                                let k = weights.baseAddress! + xx * taps
                                var p = line + bounds[2 * xx] * 3
                                var r = half, g = half, b = half
                                for t in 0..<bounds[2 * xx + 1] {
                                    let w = k[t]
                                    r &+= Int32(p[0]) &* w
                                    g &+= Int32(p[1]) &* w
                                    b &+= Int32(p[2]) &* w
                                    p += 3
                                }
                                target[3 * xx] = clip8(r)
                                target[3 * xx + 1] = clip8(g)
                                target[3 * xx + 2] = clip8(b)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Resamples the columns of `image` (whose row 0 is source row `rowOffset`) vertically.
    static func verticalPass(_ image: RGBImage, rowOffset: Int, _ c: Coefficients) -> RGBImage {
        let outHeight = c.bounds.count / 2, rowBytes = image.width * 3, taps = c.taps
        return image.pixels.withUnsafeBufferPointer { source in
            c.weights.withUnsafeBufferPointer { weights in
                // One row of accumulators, reused: rows are summed whole, which vectorises.
                let accumulators = UnsafeMutablePointer<Int32>.allocate(capacity: rowBytes)
                defer { accumulators.deallocate() }
                return RGBImage(width: image.width, height: outHeight) { out in
                    for yy in 0..<outHeight {
                        accumulators.update(repeating: half, count: rowBytes)
                        let first = c.bounds[2 * yy] - rowOffset
                        let k = weights.baseAddress! + yy * taps
                        for t in 0..<c.bounds[2 * yy + 1] {
                            let w = k[t]
                            let line = source.baseAddress! + (first + t) * rowBytes
                            for i in 0..<rowBytes {
                                accumulators[i] &+= Int32(line[i]) &* w
                            }
                        }
                        let target = out.baseAddress! + yy * rowBytes
                        for i in 0..<rowBytes {
                            target[i] = clip8(accumulators[i])
                        }
                    }
                }
            }
        }
    }
}

extension RGBImage {
    /// This image resized with Pillow's exact BICUBIC filter (see `BicubicResampler`).
    public func resized(width: Int, height: Int) -> RGBImage {
        BicubicResampler.resize(self, width: width, height: height)
    }

    /// This image resized with Pillow's exact BICUBIC filter (see `BicubicResampler`).
    public func resized(to size: ImageSize) -> RGBImage {
        BicubicResampler.resize(self, width: size.width, height: size.height)
    }
}
