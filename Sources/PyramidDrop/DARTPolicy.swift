import Tensors

/// DART (Wen et al., "Stop Looking for Important Tokens in Multimodal Language Models:
/// Duplication Matters More", 2025), following `ZichenWen1/DART` (read at the author's commit
/// 5a19452 of a fork): `llava/model/language_model/modeling_llama_self.py`, `DART.forward` (the
/// prune after layer K − 1, original position ids kept) and `DART.get_retained_image_token`.
///
/// After layer `k − 1` ran on the whole prompt: 4 image pivots (the image tokens whose keys have
/// the largest L1 norm) and 4 text pivots (likewise among the tokens after the image); visiting
/// the pivots in the order CPython iterates their set, each takes the ⌊min(N, image − 4) / 8⌋
/// remaining image tokens least cosine-similar to it, on the layer's output through the model's
/// final norm. The image pivots and every token taken go on to layer `k`, in prompt order with
/// their original positions: `4 + 8 · ⌊N / 8⌋` image tokens (the pivots on top of N). The image
/// block is every image token of the prompt (LLaVA-NeXT's packed block, newline rows included).
public struct DARTPolicy: TokenPolicy {
    /// The budget N (the official `max_num_trunction`; on LLaVA-NeXT `retain_token_num_for_llava_next`).
    public let budget: Int
    /// The first layer that runs on the kept tokens (the official `pruned_layer`).
    public let k: Int
    /// Image and text pivots (the official `pivot_image_token`, `pivot_text_token`).
    public let imagePivots: Int, textPivots: Int
    public let name = "dart"
    public var positionMode: PositionMode { .original }
    public var placement: PolicyPlacement { .inDecoder }
    public var parameters: [String: Double] { ["budget": Double(budget), "k": Double(k)] }

    public init(budget: Int, k: Int = 2, imagePivots: Int = 4, textPivots: Int = 4) throws {
        guard budget >= 1 else { throw PyramidDropError.invalidBudget(policy: "dart", reason: "budget \(budget) must be at least 1 token") }
        guard imagePivots >= 1, textPivots >= 0 else {
            throw PyramidDropError.invalidBudget(policy: "dart", reason: "needs at least one image pivot and no negative text pivots")
        }
        self.budget = budget
        self.k = k
        self.imagePivots = imagePivots
        self.textPivots = textPivots
    }

    public func layerHooks(layerCount: Int) throws -> [LayerHook] {
        guard k >= 1 && k < layerCount else { throw PyramidDropError.boundaryOutOfRange(boundary: k, layerCount: layerCount) }
        return [.after(k - 1, needs: [.keys, .finalNormedOutput])]
    }

    /// Image tokens each pivot takes for `imageTokens` in the block.
    public func tokensPerPivot(imageTokens: Int) -> Int {
        max(0, min(budget, imageTokens - imagePivots)) / (imagePivots + textPivots)
    }

    public func keep(_ state: TokenState, at hook: LayerHook, context: HookContext) throws -> [Int] {
        let image = state.imageRows
        guard budget <= image.count else {
            throw PyramidDropError.invalidBudget(policy: name, reason: "budget \(budget) is more than the \(image.count) image tokens")
        }
        guard image.count > imagePivots else { return image }
        guard let keys = context.evidence.keys, let normed = context.evidence.finalNormedOutput else {
            throw PyramidDropError.missingEvidence(policy: name, what: "layer \(hook.layer)'s keys and final-normed output")
        }
        let l1 = Self.rowL1Norms(keys)
        let after = Array((image.last! + 1)..<state.count)
        let imagePivotRows = rankedIndices(image.map { l1[$0] }, count: imagePivots).map { image[$0] }
        let textPivotRows = rankedIndices(after.map { l1[$0] }, count: min(textPivots, after.count)).map { after[$0] }
        let perPivot = tokensPerPivot(imageTokens: image.count)
        let unit = unitRows(normed, minimumNorm: 1e-8)
        let width = normed.shape[1]
        var kept = Set(imagePivotRows)
        var candidates = image.filter { !kept.contains($0) }
        for pivot in PythonSetOrder.iterationOrder(imagePivotRows + textPivotRows) {
            var similarity = [Float](repeating: 0, count: candidates.count)
            unit.withUnsafeBufferPointer { u in
                for (c, row) in candidates.enumerated() {
                    var s: Float = 0
                    for j in 0..<width { s += u[pivot * width + j] * u[row * width + j] }
                    similarity[c] = -s
                }
            }
            let taken = rankedIndices(similarity, count: perPivot).map { candidates[$0] }
            kept.formUnion(taken)
            let takenSet = Set(taken)
            candidates.removeAll { takenSet.contains($0) }
        }
        return kept.sorted()
    }

    /// Sum of absolute values of each row (`torch.norm(p=1, dim=-1)`).
    static func rowL1Norms(_ x: Tensor) -> [Float] {
        let width = x.shape[1]
        return x.withFloats { v in (0..<x.shape[0]).map { r in (0..<width).reduce(Float(0)) { $0 + abs(v[r * width + $1]) } } }
    }
}
