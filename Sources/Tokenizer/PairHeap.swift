/// A min-heap of merge candidates, each packed as `rank << 32 | position` (the pair starting at
/// symbol `position` merges with `rank`): smaller ranks first, and at equal rank the leftmost, as
/// tokenizers orders its queue.
///
/// Four children per node (as tokenizers' `QuaternaryHeap`): half the depth of a binary heap, and
/// the four 8-byte children of a node share a cache line, which matters when a whole 1 MB text is
/// one word. Storage is kept between words (`removeAll` keeps capacity).
struct PairHeap {
    private var items: [UInt64] = []

    static func entry(rank: UInt32, position: Int) -> UInt64 { UInt64(rank) << 32 | UInt64(UInt32(truncatingIfNeeded: position)) }
    static func rank(_ entry: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: entry >> 32) }
    static func position(_ entry: UInt64) -> Int { Int(UInt32(truncatingIfNeeded: entry)) }

    mutating func removeAll() { items.removeAll(keepingCapacity: true) }

    /// Adds an entry without restoring heap order; call `heapify()` after the last one.
    mutating func appendUnordered(_ entry: UInt64) { items.append(entry) }

    /// Restores heap order in O(n).
    mutating func heapify() {
        guard items.count > 1 else { return }
        items.withUnsafeMutableBufferPointer { heap in
            var node = (heap.count - 2) / 4
            while node >= 0 {
                Self.siftDown(heap, from: node, value: heap[node])
                node -= 1
            }
        }
    }

    mutating func push(_ entry: UInt64) {
        items.append(entry)
        items.withUnsafeMutableBufferPointer { heap in
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 4
                guard entry < heap[parent] else { break }
                heap[child] = heap[parent]
                child = parent
            }
            heap[child] = entry
        }
    }

    mutating func pop() -> UInt64? {
        guard let last = items.popLast() else { return nil }
        guard !items.isEmpty else { return last }
        return items.withUnsafeMutableBufferPointer { heap in
            let top = heap[0]
            Self.siftDown(heap, from: 0, value: last)
            return top
        }
    }

    private static func siftDown(_ heap: UnsafeMutableBufferPointer<UInt64>, from start: Int, value: UInt64) {
        let count = heap.count
        var node = start
        while true {
            let first = 4 * node + 1
            guard first < count else { break }
            var best = first
            var bestValue = heap[first]
            let end = min(first + 4, count)
            var child = first + 1
            while child < end {
                let candidate = heap[child]
                if candidate < bestValue {
                    best = child
                    bestValue = candidate
                }
                child += 1
            }
            guard bestValue < value else { break }
            heap[node] = bestValue
            node = best
        }
        heap[node] = value
    }
}
