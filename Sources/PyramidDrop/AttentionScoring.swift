/// The `count` image rows of `state`-sized `scores` with the highest scores (ties to the earlier
/// row), in increasing row order: how PyramidDrop and FastV keep tokens.
func topRows(_ rows: [Int], scores: [Float]?, count: Int) -> [Int] {
    guard count < rows.count else { return rows }
    guard let scores else { preconditionFailure("an attention-ranked hook ran without LayerNeeds.lastTokenAttention") }
    let order = rows.indices.sorted { scores[rows[$0]] != scores[rows[$1]] ? scores[rows[$0]] > scores[rows[$1]] : $0 < $1 }
    return order.prefix(count).map { rows[$0] }.sorted()
}
