import Transformer

extension CLIPVisionConfig {
    /// Tokens the encoder layers run on: the patches and the class token.
    var tokenCount: Int { patchCount + 1 }

    /// The tower's products with `layers` encoder layers: the patch embedding (patches ×
    /// C·P·P → D) once, then per layer q, k, v, out (D → D), fc1 (D → I) and fc2 (I → D) over
    /// every token.
    func gemmShapes(layers: Int) -> [GEMMShape] {
        let t = tokenCount, d = hiddenSize, m = intermediateSize
        return [
            GEMMShape(rows: patchCount, out: d, inner: channels * patchSize * patchSize),
            GEMMShape(rows: t, out: d, inner: d, count: 4 * layers),
            GEMMShape(rows: t, out: m, inner: d, count: layers),
            GEMMShape(rows: t, out: d, inner: m, count: layers),
        ]
    }

    /// FLOPs of one image through `layers` layers (a multiply-add is two): the products of
    /// `gemmShapes` and, per layer, attention's scores and weighted values (`2 · T² · D`
    /// multiply-adds, every token attending to every token).
    func flops(layers: Int) -> Double {
        let t = Double(tokenCount), d = Double(hiddenSize)
        let gemms = gemmShapes(layers: layers).reduce(0.0) { $0 + Double($1.count) * $1.flops }
        return gemms + Double(layers) * 2 * (2 * t * t * d)
    }
}
