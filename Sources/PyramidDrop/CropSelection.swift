import Tensors

/// Shared steps of the policies that choose patches crop by crop in the vision tower (FasterVLM,
/// VisionZip): reading what each crop's tower computed, and the order their official LLaVA-NeXT
/// code packs the kept patches in.
enum CropSelection {
    /// The crops of `image`, each with the class-token attention (and keys, if `keys`), and the
    /// projector; throws naming what is missing.
    static func crops(of image: ImageTokens, policy: String, keys: Bool = false) throws -> (crops: [TowerCrop], project: @Sendable (Tensor) -> Tensor) {
        guard !image.crops.isEmpty, let project = image.project else {
            throw PyramidDropError.missingEvidence(policy: policy, what: "the vision tower's feature-layer outputs and projector")
        }
        for crop in image.crops {
            guard crop.classAttention != nil else { throw PyramidDropError.missingEvidence(policy: policy, what: "the vision tower's class-token attention") }
            if keys && crop.keys == nil { throw PyramidDropError.missingEvidence(policy: policy, what: "the vision tower's keys") }
        }
        if case .grid(let rows, let columns, let side) = image.layout {
            guard image.crops.count == 1 + rows * columns, image.crops.allSatisfy({ $0.patchCount == side * side }) else {
                throw PyramidDropError.missingEvidence(policy: policy, what: "one base crop and \(rows)×\(columns) tiles of \(side)×\(side) patches")
            }
        }
        return (image.crops, project)
    }

    /// Per patch of `crop`, the class token's attention summed over heads (`mean`: divided by the
    /// head count), heads added in order.
    static func classScores(_ crop: TowerCrop, mean: Bool) -> [Float] {
        let attention = crop.classAttention!.floats, width = crop.patchCount + 1
        var scores = [Float](repeating: 0, count: crop.patchCount)
        for h in 0..<crop.heads {
            for p in 0..<crop.patchCount { scores[p] += attention[h * width + 1 + p] }
        }
        if mean { for p in scores.indices { scores[p] /= Float(crop.heads) } }
        return scores
    }

    /// The tiles' kept patches (`kept[t]` for tile `t`, crops after the base) in raster order over
    /// the stitched `rows·side × columns·side` grid, as `(crop, patch)` pairs (crop 1 is the first tile).
    static func stitchedOrder(_ kept: [Set<Int>], rows: Int, columns: Int, side: Int) -> [(crop: Int, patch: Int)] {
        var order: [(crop: Int, patch: Int)] = []
        for r in 0..<(rows * side) {
            for c in 0..<(columns * side) {
                let tile = (r / side) * columns + c / side, patch = (r % side) * side + c % side
                if kept[tile].contains(patch) { order.append((1 + tile, patch)) }
            }
        }
        return order
    }

    /// Tower rows `rows` (`(crop, row)` pairs, row 0 the class token) gathered into one `[n, visionHidden]` tensor.
    static func gather(_ crops: [TowerCrop], _ rows: [(crop: Int, row: Int)]) -> Tensor {
        let width = crops[0].hidden.shape[1]
        let values = crops.map(\.hidden.floats)
        var out = [Float]()
        out.reserveCapacity(rows.count * width)
        for (crop, row) in rows { out += values[crop][(row * width)..<((row + 1) * width)] }
        return Tensor(shape: [rows.count, width], values: out)
    }
}
