/// One symbol of a word being merged: a doubly linked list laid out in an array.
struct Symbol {
    var id: Int32
    var prev: Int32
    var next: Int32
    /// Bytes covered; 0 marks a symbol merged into its left neighbour.
    var length: Int32
}

/// Buffers reused across the words of one `encode` call.
struct BPEScratch {
    var symbols: [Symbol] = []
    var heap = PairHeap()
    /// Words already encoded in this call (only short words, as tokenizers caches them).
    var cache: [ArraySlice<UInt8>: [Int32]] = [:]

    static let cachedWordLimit = 256
    static let cacheCapacity = 10_000
}

extension BPEModel {
    /// Appends the ids of the word `buffer[range]` (valid UTF-8) to `output`.
    ///
    /// Starts from one symbol per character (or its `<0xXX>` byte tokens, or `<unk>`), then
    /// repeatedly merges the adjacent pair of lowest rank. The candidate pairs sit in a binary heap
    /// keyed by (rank, position) and the symbols in a linked list, so a word of n characters costs
    /// O(n log n), not the O(n²) of rescanning for the best pair.
    func encode(_ buffer: [UInt8], _ range: Range<Int>, into output: inout [Int32], scratch: inout BPEScratch) {
        guard !range.isEmpty else { return }
        let word = buffer[range]
        if ignoreMerges, let id = vocab[word] {
            output.append(id)
            return
        }
        let cacheable = range.count < BPEScratch.cachedWordLimit
        if cacheable, let ids = scratch.cache[word] {
            output.append(contentsOf: ids)
            return
        }
        let first = output.count
        buffer.withUnsafeBufferPointer { bytes in
            makeSymbols(bytes, range, into: &scratch.symbols)
        }
        merge(&scratch.symbols, heap: &scratch.heap)
        for symbol in scratch.symbols where symbol.length != 0 { output.append(symbol.id) }
        if cacheable && scratch.cache.count < BPEScratch.cacheCapacity {
            scratch.cache[word] = Array(output[first...])
        }
    }

    /// One symbol per character, as tokenizers' `merge_word` builds them.
    private func makeSymbols(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into symbols: inout [Symbol]) {
        symbols.removeAll(keepingCapacity: true)
        func add(_ id: Int32, _ length: Int) {
            let index = Int32(symbols.count)
            if index > 0 { symbols[symbols.count - 1].next = index }
            symbols.append(Symbol(id: id, prev: index - 1, next: -1, length: Int32(length)))
        }
        var pendingUnknown: (id: Int32, length: Int)?
        var i = range.lowerBound
        while i < range.upperBound {
            let (scalar, length) = UTF8Scanning.scalar(in: bytes, at: i)
            let known: Int32? = scalar < 128 ? (asciiIDs[Int(scalar)] >= 0 ? asciiIDs[Int(scalar)] : nil) : scalarIDs[scalar]
            if let id = known {
                if let unknown = pendingUnknown {
                    add(unknown.id, unknown.length)
                    pendingUnknown = nil
                }
                add(id, length)
            } else if byteFallback && (i..<(i + length)).allSatisfy({ byteIDs[Int(bytes[$0])] >= 0 }) {
                // tokenizers does not flush a pending <unk> here; neither do we.
                for k in i..<(i + length) { add(byteIDs[Int(bytes[k])], 1) }
            } else if let unkID {
                if let unknown = pendingUnknown {
                    if fuseUnk {
                        pendingUnknown = (unknown.id, unknown.length + length)
                    } else {
                        add(unknown.id, unknown.length)
                        pendingUnknown = (unkID, length)
                    }
                } else {
                    pendingUnknown = (unkID, length)
                }
            }
            // Without an unk token, an unknown character is dropped (as tokenizers does).
            i += length
        }
        if let unknown = pendingUnknown { add(unknown.id, unknown.length) }
    }

    /// tokenizers' `Word::merge_all` without dropout.
    private func merge(_ symbols: inout [Symbol], heap: inout PairHeap) {
        guard symbols.count > 1 else { return }
        heap.removeAll()
        for i in 0..<(symbols.count - 1) {
            if let merge = merges[Self.pairKey(symbols[i].id, symbols[i + 1].id)] {
                heap.push(MergeCandidate(rank: Int32(merge >> 32), position: Int32(i), newID: Int32(truncatingIfNeeded: merge)))
            }
        }
        while let top = heap.pop() {
            let position = top.position
            let current = symbols[position]
            // Skip entries whose symbol was merged away, is now last, or changed since queued.
            guard current.length != 0, current.next >= 0 else { continue }
            let nextPosition = Int(current.next)
            let right = symbols[nextPosition]
            guard let merge = merges[Self.pairKey(current.id, right.id)],
                  Int32(truncatingIfNeeded: merge) == top.newID else { continue }

            symbols[position].id = top.newID
            symbols[position].length += right.length
            symbols[position].next = right.next
            symbols[nextPosition].length = 0
            if right.next >= 0 { symbols[Int(right.next)].prev = Int32(position) }

            let merged = symbols[position]
            if merged.prev >= 0, let merge = merges[Self.pairKey(symbols[Int(merged.prev)].id, merged.id)] {
                heap.push(MergeCandidate(rank: Int32(merge >> 32), position: merged.prev, newID: Int32(truncatingIfNeeded: merge)))
            }
            if merged.next >= 0, let merge = merges[Self.pairKey(merged.id, symbols[Int(merged.next)].id)] {
                heap.push(MergeCandidate(rank: Int32(merge >> 32), position: Int32(position), newID: Int32(truncatingIfNeeded: merge)))
            }
        }
    }
}
