import Imaging

/// Draws which image patches survived each stage of a token policy: one column of panels per stage
/// (the first shows every token), each column holding the token canvases top to bottom; patches
/// whose token was dropped — and pixels no token covers — are dimmed to a quarter of their
/// brightness, patches folded into a merged token (VisionZip's contextual tokens) to half, kept
/// patches are shown as they are. Columns are separated by a dark gap.
public enum KeptTokenMap {
    /// Gap between columns and between canvases, in pixels.
    public static let gap = 8
    /// Brightness of dropped patches (numerator over 4).
    static let dimmedQuarters = 1
    /// Brightness of patches folded into merged tokens (numerator over 4).
    static let mergedQuarters = 2

    /// The map for `stages` (kept token indices into the image tokens, one list per stage) of an
    /// image whose tokens `geometry` describes, with `merged[s]` the tokens stage `s` folded into
    /// merged ones. The first column shows all tokens as kept.
    public static func render(_ geometry: TokenGeometry, stages: [[Int]], merged: [[Int]] = []) -> RGBImage {
        let columnWidth = geometry.canvases.map(\.width).max() ?? 0
        let columnHeight = geometry.canvases.map(\.height).reduce(0, +) + gap * (geometry.canvases.count - 1)
        let columns = [Array(geometry.regions.indices)] + stages
        let mergedColumns = [[]] + stages.indices.map { $0 < merged.count ? merged[$0] : [] }
        let mapWidth = columns.count * columnWidth + gap * (columns.count - 1)
        var map = RGBImage(width: mapWidth, height: columnHeight, color: RGB(24, 24, 24))
        map.withUnsafeMutablePixels { out in
            for (c, kept) in columns.enumerated() {
                let keptSet = Set(kept), mergedSet = Set(mergedColumns[c])
                var top = 0
                for (k, canvas) in geometry.canvases.enumerated() {
                    var brightness = [Int](repeating: dimmedQuarters, count: canvas.width * canvas.height)
                    for (token, region) in geometry.regions.enumerated() where keptSet.contains(token) || mergedSet.contains(token) {
                        guard let region, region.canvas == k else { continue }
                        let quarters = keptSet.contains(token) ? 4 : mergedQuarters
                        for y in region.y..<min(region.y + region.height, canvas.height) {
                            for x in region.x..<min(region.x + region.width, canvas.width) {
                                brightness[y * canvas.width + x] = max(brightness[y * canvas.width + x], quarters)
                            }
                        }
                    }
                    let left = c * (columnWidth + gap)
                    for y in 0..<canvas.height {
                        for x in 0..<canvas.width {
                            let pixel = canvas[x: x, y: y]
                            let o = ((top + y) * mapWidth + left + x) * 3
                            let scale = brightness[y * canvas.width + x]
                            out[o] = UInt8(Int(pixel.red) * scale / 4)
                            out[o + 1] = UInt8(Int(pixel.green) * scale / 4)
                            out[o + 2] = UInt8(Int(pixel.blue) * scale / 4)
                        }
                    }
                    top += canvas.height + gap
                }
            }
        }
        return map
    }
}
