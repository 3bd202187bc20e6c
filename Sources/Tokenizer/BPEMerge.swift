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
    /// repeatedly merges the adjacent pair of lowest rank. The candidate pairs sit in a heap keyed
    /// by (rank, position) and the symbols in a linked list, so a word of n characters costs
    /// O(n log n), not the O(n²) of rescanning for the best pair.
    ///
    /// With the legacy LLaMA normalizer a whole text is one word. Where no merge can ever join two
    /// adjacent symbols (see `BoundaryTable`), the word is cut there and the pieces are merged one
    /// by one; that gives the same result (merges on either side never interact) with a small heap
    /// and a cache that works for such long "words".
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
        if let boundaries {
            encodeInPieces(buffer, range, boundaries: boundaries, into: &output, scratch: &scratch)
        } else {
            buffer.withUnsafeBufferPointer { bytes in
                makeSymbols(bytes, range, into: &scratch.symbols)
            }
            merge(&scratch.symbols, heap: &scratch.heap)
            for symbol in scratch.symbols where symbol.length != 0 { output.append(symbol.id) }
        }
        if cacheable && scratch.cache.count < BPEScratch.cacheCapacity {
            scratch.cache[word] = Array(output[first...])
        }
    }

    /// The word cut at every boundary no merge crosses; each piece merged on its own (and cached).
    /// Only used when every character becomes its own symbols in order (byte fallback with all
    /// 256 byte tokens: no `<unk>`), so a piece's symbols are exactly its bytes' symbols.
    private func encodeInPieces(_ buffer: [UInt8], _ range: Range<Int>, boundaries: BoundaryTable,
                                into output: inout [Int32], scratch: inout BPEScratch) {
        scratch.symbols.removeAll(keepingCapacity: true)
        var pieceStart = range.lowerBound
        var pieceEnd = range.lowerBound

        func finishPiece() {
            guard !scratch.symbols.isEmpty else { return }
            let piece = buffer[pieceStart..<pieceEnd]
            let cacheable = piece.count < BPEScratch.cachedWordLimit
            if cacheable, let ids = scratch.cache[piece] {
                output.append(contentsOf: ids)
            } else {
                let first = output.count
                merge(&scratch.symbols, heap: &scratch.heap)
                for symbol in scratch.symbols where symbol.length != 0 { output.append(symbol.id) }
                if cacheable && scratch.cache.count < BPEScratch.cacheCapacity {
                    scratch.cache[piece] = Array(output[first...])
                }
            }
            scratch.symbols.removeAll(keepingCapacity: true)
            pieceStart = pieceEnd
        }

        func add(_ id: Int32, _ length: Int) {
            if let last = scratch.symbols.last, boundaries.separates(last.id, id) { finishPiece() }
            let index = Int32(scratch.symbols.count)
            if index > 0 { scratch.symbols[scratch.symbols.count - 1].next = index }
            scratch.symbols.append(Symbol(id: id, prev: index - 1, next: -1, length: Int32(length)))
            pieceEnd += length
        }

        var i = range.lowerBound
        while i < range.upperBound {
            let (scalar, length) = UTF8Scanning.scalar(in: buffer, at: i)
            if let id = characterID(scalar) {
                add(id, length)
            } else {
                for k in i..<(i + length) { add(byteIDs[Int(buffer[k])], 1) }
            }
            i += length
        }
        finishPiece()
    }

    /// The id of the one-character token `scalar`, if the vocabulary has it.
    @inline(__always)
    private func characterID(_ scalar: UInt32) -> Int32? {
        if scalar < 128 {
            let id = asciiIDs[Int(scalar)]
            return id >= 0 ? id : nil
        }
        return scalarIDs[scalar]
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
            if let id = characterID(scalar) {
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
    ///
    /// A queued candidate is stale when its left symbol was merged away, became the last one, or
    /// now forms another pair. tokenizers detects the last case by comparing the merged id; here
    /// the rank is compared, which is equivalent: a symbol only grows by absorbing its whole right
    /// neighbour, so at a given position the same rank (the same merge rule) means the same pair.
    private func merge(_ symbols: inout [Symbol], heap: inout PairHeap) {
        guard symbols.count > 1 else { return }
        heap.removeAll()
        for i in 0..<(symbols.count - 1) {
            if let merge = merges[Self.pairKey(symbols[i].id, symbols[i + 1].id)] {
                heap.appendUnordered(PairHeap.entry(rank: UInt32(truncatingIfNeeded: merge >> 32), position: i))
            }
        }
        heap.heapify()
        symbols.withUnsafeMutableBufferPointer { symbols in
            while let top = heap.pop() {
                let position = PairHeap.position(top)
                let current = symbols[position]
                guard current.length != 0, current.next >= 0 else { continue }
                let nextPosition = Int(current.next)
                let right = symbols[nextPosition]
                guard let merge = merges[Self.pairKey(current.id, right.id)],
                      UInt32(truncatingIfNeeded: merge >> 32) == PairHeap.rank(top) else { continue }

                let merged = Symbol(id: Int32(truncatingIfNeeded: merge), prev: current.prev, next: right.next,
                                    length: current.length + right.length)
                symbols[position] = merged
                symbols[nextPosition].length = 0
                if right.next >= 0 { symbols[Int(right.next)].prev = Int32(position) }

                if merged.prev >= 0, let merge = merges[Self.pairKey(symbols[Int(merged.prev)].id, merged.id)] {
                    heap.push(PairHeap.entry(rank: UInt32(truncatingIfNeeded: merge >> 32), position: Int(merged.prev)))
                }
                if merged.next >= 0, let merge = merges[Self.pairKey(merged.id, symbols[Int(merged.next)].id)] {
                    heap.push(PairHeap.entry(rank: UInt32(truncatingIfNeeded: merge >> 32), position: position))
                }
            }
        }
    }
}
