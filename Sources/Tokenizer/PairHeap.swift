/// A candidate merge: the pair starting at symbol `position` merges into `newID` with `rank`.
struct MergeCandidate {
    /// rank << 32 | position: smaller merges first, and at equal rank the leftmost, as
    /// tokenizers orders its queue.
    var key: UInt64
    var newID: Int32

    init(rank: Int32, position: Int32, newID: Int32) {
        key = UInt64(UInt32(bitPattern: rank)) << 32 | UInt64(UInt32(bitPattern: position))
        self.newID = newID
    }

    var position: Int { Int(UInt32(truncatingIfNeeded: key)) }
}

/// A binary min-heap of merge candidates. Its storage is kept between words (`removeAll`
/// keeps capacity), so encoding allocates nothing per word once warm.
struct PairHeap {
    private var items: [MergeCandidate] = []

    var isEmpty: Bool { items.isEmpty }

    mutating func removeAll() { items.removeAll(keepingCapacity: true) }

    mutating func push(_ item: MergeCandidate) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard item.key < items[parent].key else { break }
            items[child] = items[parent]
            child = parent
        }
        items[child] = item
    }

    mutating func pop() -> MergeCandidate? {
        guard let last = items.popLast() else { return nil }
        guard !items.isEmpty else { return last }
        let top = items[0]
        // Sift `last` down from the root.
        let count = items.count
        var parent = 0
        while true {
            var child = 2 * parent + 1
            guard child < count else { break }
            if child + 1 < count && items[child + 1].key < items[child].key { child += 1 }
            guard items[child].key < last.key else { break }
            items[parent] = items[child]
            parent = child
        }
        items[parent] = last
        return top
    }
}
