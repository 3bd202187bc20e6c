/// The indices of the `count` highest `scores`, highest first (ties to the lower index): the order
/// `torch.topk` returns when no two scores are equal.
func rankedIndices(_ scores: [Float], count: Int) -> [Int] {
    let order = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
    return Array(order.prefix(count))
}

/// The indices of the `count` highest `scores`, in increasing index order (ties to the lower index).
func topIndices(_ scores: [Float], count: Int) -> [Int] {
    count >= scores.count ? Array(scores.indices) : rankedIndices(scores, count: count).sorted()
}

/// The `count` image rows of `state`-sized `scores` with the highest scores (ties to the earlier
/// row), in increasing row order: how PyramidDrop and FastV keep tokens.
func topRows(_ rows: [Int], scores: [Float]?, count: Int) -> [Int] {
    guard count < rows.count else { return rows }
    guard let scores else { preconditionFailure("an attention-ranked hook ran without LayerNeeds.lastTokenAttention") }
    return topIndices(rows.map { scores[$0] }, count: count).map { rows[$0] }
}
