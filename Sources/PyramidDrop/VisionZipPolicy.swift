import Tensors

/// VisionZip (Yang et al., CVPR 2025), following `dvlab-research/VisionZip` at 3151f6d:
/// `visionzip/clip_encoder.py` (`CLIPVisionTower_VisionZip.forward`: dominant and contextual
/// tokens), `visionzip/utils.py` (`CLIPAttention_forward`, `CLIP_EncoderLayer_forward`: the
/// feature layer's attention and its head-averaged keys), `visionzip/main.py` (`visionzip`: the
/// user's `dominant` counts the [CLS] token) and `visionzip/llava_arch.py`
/// (`restore_image_features_sorted`: LLaVA-NeXT's packing).
///
/// Per crop, before the projector: the [CLS] token plus the `dominant − 1` patches it attends to
/// most (attention summed over heads, ties to the lower patch), in patch order; then `contextual`
/// tokens: every ⌊M / contextual⌋-th remaining patch is a target, each other remaining patch joins
/// the target whose head-averaged key is most cosine-similar (ties to the first target), and each
/// target becomes itself plus the mean of the patches that joined it. On LLaVA-NeXT every crop
/// does this; the base crop's tokens come first, then the tiles' dominant patches in raster order
/// over the stitched grid, the tiles' [CLS] tokens, and the tiles' contextual tokens.
public struct VisionZipPolicy: TokenPolicy {
    /// Dominant tokens per crop, the [CLS] token included.
    public let dominant: Int
    /// Contextual (merged) tokens per crop.
    public let contextual: Int
    public let name = "visionzip"
    public var placement: PolicyPlacement { .beforeDecoder }
    public var visionNeeds: VisionNeeds { [.towerFeatures, .classAttention, .towerKeys] }
    public var parameters: [String: Double] { ["dominant": Double(dominant), "contextual": Double(contextual)] }

    /// An explicit split, as `visionzip(model, dominant:, contextual:)` takes it.
    public init(dominant: Int, contextual: Int) throws {
        guard dominant >= 1, contextual >= 1 else {
            throw PyramidDropError.invalidBudget(policy: "visionzip", reason: "dominant \(dominant) and contextual \(contextual) must both be at least 1 (the [CLS] token is one of the dominant)")
        }
        self.dominant = dominant
        self.contextual = contextual
    }

    /// `budget` tokens per crop split as the official settings are, (54, 10), (108, 20) and
    /// (162, 30) for 64, 128 and 192: dominant = round(budget · 27 / 32) (half to even, as
    /// Python's `round`), contextual = the rest.
    public init(budget: Int) throws {
        let (whole, rest) = (27 * budget).quotientAndRemainder(dividingBy: 32)
        let dominant = whole + (rest > 16 || (rest == 16 && whole % 2 == 1) ? 1 : 0)
        guard budget >= 4 else {
            throw PyramidDropError.invalidBudget(policy: "visionzip", reason: "budget \(budget) leaves no contextual token (at least 4 per crop)")
        }
        try self.init(dominant: dominant, contextual: budget - dominant)
    }

    /// One crop's tokens: its dominant rows (class token first) and its contextual rows.
    struct CropTokens {
        var dominantPatches: [Int]
        var contextual: [[Float]]
        /// The patches folded into the contextual rows (targets and the patches that joined them).
        var mergedPatches: [Int]
    }

    public func selectImageTokens(_ image: ImageTokens) throws -> ImageSelection {
        let (crops, project) = try CropSelection.crops(of: image, policy: name, keys: true)
        if let crop = crops.first(where: { dominant - 1 + contextual > $0.patchCount }) {
            throw PyramidDropError.invalidBudget(policy: name, reason: "\(dominant) dominant + \(contextual) contextual tokens are more than the \(crop.patchCount + 1) of a crop")
        }
        let tokens = crops.map(select)
        let width = crops[0].hidden.shape[1]
        var rows: [Float] = [], sources: [Int?] = []
        func appendRow(_ crop: Int, _ row: Int) {
            let hidden = crops[crop].hidden
            hidden.withFloats { rows += $0[(row * width)..<((row + 1) * width)] }
            sources.append(row == 0 ? crops[crop].classSource : crops[crop].patchSources[row - 1])
        }
        func appendContextual(_ crop: Int) {
            for row in tokens[crop].contextual { rows += row; sources.append(nil) }
        }
        appendRow(0, 0)
        for p in tokens[0].dominantPatches { appendRow(0, 1 + p) }
        appendContextual(0)
        if case .grid(let gridRows, let columns, let side) = image.layout {
            let kept = tokens.dropFirst().map { Set($0.dominantPatches) }
            for (crop, patch) in CropSelection.stitchedOrder(kept, rows: gridRows, columns: columns, side: side) { appendRow(crop, 1 + patch) }
            for crop in crops.indices.dropFirst() { appendRow(crop, 0) }
            for crop in crops.indices.dropFirst() { appendContextual(crop) }
        }
        let features = project(Tensor(shape: [sources.count, width], values: rows))
        let merged = tokens.indices.flatMap { c in tokens[c].mergedPatches.compactMap { crops[c].patchSources[$0] } }
        return ImageSelection(features: features, sources: sources, originalCount: image.count, merged: merged.sorted())
    }

    /// Dominant patches and merged contextual rows of one crop.
    private func select(_ crop: TowerCrop) -> CropTokens {
        let dominantPatches = topIndices(CropSelection.classScores(crop, mean: false), count: dominant - 1)
        let taken = Set(dominantPatches)
        let candidates = (0..<crop.patchCount).filter { !taken.contains($0) }      // patches, ascending
        let step = max(1, candidates.count / contextual)
        let targetPositions = Array(stride(from: 0, to: candidates.count, by: step).prefix(contextual))
        let targetSet = Set(targetPositions)
        let metric = unitMeanKeys(crop)
        let hidden = crop.hidden.floats, width = crop.hidden.shape[1], metricWidth = metric.count / (crop.patchCount + 1)
        func dot(_ a: Int, _ b: Int) -> Float {
            var s: Float = 0
            for j in 0..<metricWidth { s += metric[a * metricWidth + j] * metric[b * metricWidth + j] }
            return s
        }
        var sums = [[Float]](repeating: [Float](repeating: 0, count: width), count: targetPositions.count)
        var counts = [Int](repeating: 0, count: targetPositions.count)
        for position in candidates.indices where !targetSet.contains(position) {
            let row = 1 + candidates[position]
            var best = 0, bestSimilarity = -Float.infinity
            for (t, target) in targetPositions.enumerated() {
                let similarity = dot(row, 1 + candidates[target])
                if similarity > bestSimilarity { best = t; bestSimilarity = similarity }
            }
            counts[best] += 1
            for j in 0..<width { sums[best][j] += hidden[row * width + j] }
        }
        let contextual = targetPositions.enumerated().map { t, target in
            let row = 1 + candidates[target], count = Float(max(counts[t], 1))
            return (0..<width).map { hidden[row * width + $0] + sums[t][$0] / count }
        }
        return CropTokens(dominantPatches: dominantPatches, contextual: contextual, mergedPatches: candidates)
    }

    /// The keys averaged over heads (`[1 + patches, headDim]`), each row scaled to unit length.
    private func unitMeanKeys(_ crop: TowerCrop) -> [Float] {
        let keys = crop.keys!.floats, rows = crop.patchCount + 1, headDim = keys.count / rows / crop.heads
        var metric = [Float](repeating: 0, count: rows * headDim)
        for r in 0..<rows {
            for h in 0..<crop.heads {
                for j in 0..<headDim { metric[r * headDim + j] += keys[(r * crop.heads + h) * headDim + j] }
            }
            var norm: Float = 0
            for j in 0..<headDim {
                metric[r * headDim + j] /= Float(crop.heads)
                norm += metric[r * headDim + j] * metric[r * headDim + j]
            }
            norm = norm.squareRoot()
            for j in 0..<headDim { metric[r * headDim + j] /= norm }
        }
        return metric
    }
}
