import Tensors

/// DivPrune (Alvar et al., CVPR 2025), following `vbdi/divprune` at 799e2d9:
/// `LLaVA/llava/model/llava_arch.py` (`pairwise_cosine_similarity`, `DivPrune`, and its call at
/// the end of `prepare_inputs_labels_for_multimodal`).
///
/// Before the decoder, on the projected features of the whole image block (LLaVA-NeXT's packed
/// block with its `image_newline` rows, as one set): with distance 1 − cosine similarity, the first
/// token is the one whose nearest other token is farthest, and each next token the one farthest
/// from the chosen set (max–min; ties to the lower index); the `budget` chosen tokens enter the
/// decoder in their original order.
public struct DivPrunePolicy: TokenPolicy {
    /// Image tokens kept (the official `round(SUBSET_RATIO · N)`).
    public let budget: Int
    public let name = "divprune"
    public var placement: PolicyPlacement { .beforeDecoder }
    public var parameters: [String: Double] { ["budget": Double(budget)] }

    public init(budget: Int) throws {
        guard budget >= 1 else { throw PyramidDropError.invalidBudget(policy: "divprune", reason: "budget \(budget) must be at least 1 token") }
        self.budget = budget
    }

    public func selectImageTokens(_ image: ImageTokens) throws -> ImageSelection {
        guard budget <= image.count else {
            throw PyramidDropError.invalidBudget(policy: name, reason: "budget \(budget) is more than the \(image.count) tokens of the image")
        }
        let kept = Self.maxMinSubset(image.features, count: budget).sorted()
        return ImageSelection(features: image.features.gatherRows(kept), sources: kept, originalCount: image.count)
    }

    /// The greedy max–min diversity subset of the rows of `features` (`[n, d]`), in the order
    /// chosen (`DivPrune` in the official file).
    static func maxMinSubset(_ features: Tensor, count: Int) -> [Int] {
        let n = features.shape[0], d = features.shape[1]
        let unit = unitRows(features, minimumNorm: 0)
        var distance = [Float](repeating: 0, count: n * n)
        unit.withUnsafeBufferPointer { u in
            distance.withUnsafeMutableBufferPointer { c in
                GEMM.sgemm(transB: true, m: n, n: n, k: d, a: u.baseAddress!, lda: d, b: u.baseAddress!, ldb: d, c: c.baseAddress!, ldc: n)
            }
        }
        for i in distance.indices { distance[i] = 1 - distance[i] }
        // Each column's second-smallest entry: the distance to its nearest other token.
        var smallest = [Float](repeating: .infinity, count: n), second = smallest
        for i in 0..<n {
            for j in 0..<n {
                let v = distance[i * n + j]
                if v < smallest[j] { second[j] = smallest[j]; smallest[j] = v } else if v < second[j] { second[j] = v }
            }
        }
        var chosen = [firstMaximum(second)]
        var closest = Array(distance[(chosen[0] * n)..<((chosen[0] + 1) * n)])
        while chosen.count < count {
            let pick = firstMaximum(closest)
            chosen.append(pick)
            for j in 0..<n { closest[j] = min(closest[j], distance[pick * n + j]) }
        }
        return chosen
    }

    /// The index of the first maximal value (`torch.argmax`; NaN counts as the maximum).
    private static func firstMaximum(_ values: [Float]) -> Int {
        var best = 0
        for i in values.indices.dropFirst() where values[i] > values[best] || (values[i].isNaN && !values[best].isNaN) { best = i }
        return best
    }
}
