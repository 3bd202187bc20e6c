/// tokenizers' `NFC` normalizer (Qwen2's), as the `unicode-normalization-alignments` crate
/// composes: decompose each scalar, put each run of marks in canonical order, compose (UAX #15).
///
/// That crate's tables are Unicode 9.0: to it a scalar assigned later has combining class 0 and
/// neither decomposes nor composes, so nothing reorders or composes across it. Every scalar of 9.0
/// keeps its normalization properties in Swift's newer data (Unicode's stability policy), which
/// gives the combining classes and, once, `NormalizationTables`. Checked against tokenizers 0.23
/// on every scalar, every decomposition and three million random sequences of marks. Text that is
/// NFC already (the quick check) comes back as it is; otherwise linear time (a long run of marks
/// is sorted in O(n log n)).
enum NFC {
    /// The NFC form of `text` (UTF-8 in, UTF-8 out).
    static func normalize(_ text: [UInt8]) -> [UInt8] {
        // Scalars below U+0300 (UTF-8 lead bytes below 0xCC) neither decompose nor combine.
        guard text.contains(where: { $0 >= 0xCC }) else { return text }
        let tables = NormalizationTables.unicode9
        guard !isInert(text, tables) else { return text }
        var scalars: [UInt32] = []
        scalars.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            let (value, length) = UTF8Scanning.scalar(in: text, at: i)
            tables.appendDecomposition(of: value, to: &scalars)
            i += length
        }
        var classes = scalars.map(NormalizationTables.combiningClass)
        putMarksInCanonicalOrder(&scalars, &classes)
        compose(&scalars, classes, tables)
        var output: [UInt8] = []
        output.reserveCapacity(text.count)
        for value in scalars {
            UTF8.encode(Unicode.Scalar(value)!) { output.append($0) }
        }
        return output
    }

    /// Whether every scalar of `text` is inert (the quick check: most text is NFC already).
    private static func isInert(_ text: [UInt8], _ tables: NormalizationTables) -> Bool {
        var i = 0
        while i < text.count {
            let (value, length) = UTF8Scanning.scalar(in: text, at: i)
            guard tables.isInert(value) else { return false }
            i += length
        }
        return true
    }

    /// Stable-sorts each run of scalars of nonzero class by class.
    private static func putMarksInCanonicalOrder(_ scalars: inout [UInt32], _ classes: inout [UInt8]) {
        var start = 0
        while start < scalars.count {
            guard classes[start] != 0 else {
                start += 1
                continue
            }
            var end = start + 1
            while end < scalars.count && classes[end] != 0 { end += 1 }
            if end - start <= 32 {
                insertionSort(&scalars, &classes, start..<end)
            } else {
                // Sorting (class, position) keys is stable whatever the sort.
                let keys = (start..<end).map { UInt64(classes[$0]) << 32 | UInt64($0) }.sorted()
                let run = scalars[start..<end]
                for (offset, key) in keys.enumerated() {
                    scalars[start + offset] = run[Int(truncatingIfNeeded: key & 0xFFFF_FFFF)]
                    classes[start + offset] = UInt8(key >> 32)
                }
            }
            start = end
        }
    }

    /// Stable in-place sort of a short run by class.
    private static func insertionSort(_ scalars: inout [UInt32], _ classes: inout [UInt8], _ run: Range<Int>) {
        for i in (run.lowerBound + 1)..<run.upperBound {
            let scalar = scalars[i], combiningClass = classes[i]
            var j = i
            while j > run.lowerBound && classes[j - 1] > combiningClass {
                scalars[j] = scalars[j - 1]
                classes[j] = classes[j - 1]
                j -= 1
            }
            scalars[j] = scalar
            classes[j] = combiningClass
        }
    }

    /// Canonical composition in place: each scalar that is not blocked from the last starter
    /// (nothing between them, or only marks of a lower class) and forms a primary composite with
    /// it replaces that starter.
    private static func compose(_ scalars: inout [UInt32], _ classes: [UInt8], _ tables: NormalizationTables) {
        var written = 0
        var starter = -1
        var lastClass: UInt8 = 0
        for index in scalars.indices {
            let scalar = scalars[index]
            let combiningClass = classes[index]
            if starter >= 0, written - 1 == starter || (lastClass != 0 && lastClass < combiningClass),
               let composite = tables.composite(scalars[starter], scalar) {
                scalars[starter] = composite
                continue
            }
            if combiningClass == 0 { starter = written }
            lastClass = combiningClass
            scalars[written] = scalar
            written += 1
        }
        scalars.removeSubrange(written...)
    }
}
