import Foundation

/// Unicode 9.0's canonical decompositions, primary composites (Hangul syllables aside, which are
/// algorithmic) and combining classes, derived once from Swift's Unicode data for `NFC`.
///
/// Swift's own NFC is not used to normalize: Swift 6.3 composes a supplementary-plane starter as
/// the BMP scalar of its low 16 bits (U+10041 U+0301 becomes "Á"), leaves a Hangul LV syllable
/// and a following T jamo apart (U+AC00 U+11A8), and reorders a long run of marks in quadratic
/// time. Its decomposition of single scalars is right (the same as tokenizers' for every scalar of
/// Unicode 9.0), so the tables come from one NFD of every candidate scalar.
struct NormalizationTables: Sendable {
    /// Where Unicode 9.0's decomposable scalars lie (Unicode 9.0 is frozen; a test checks by scanning
    /// every scalar that there are none elsewhere).
    static let decomposableRanges: [ClosedRange<UInt32>] = [0xC0...0x30FF, 0xF900...0xFB4F, 0x11000...0x115FF,
                                                             0x1D100...0x1D1FF, 0x2F800...0x2FA1F]

    /// The tables of `decomposableRanges`.
    static let unicode9 = NormalizationTables(scanning: decomposableRanges)

    /// Scalar → (offset << 8 | count) into `decompositionScalars`: the full canonical decomposition
    /// (canonically ordered, at most 4 scalars) of each decomposable scalar.
    private let decompositionIndex: MergeTable
    private let decompositionScalars: [UInt32]
    /// (first << 32 | second) → the primary composite of that pair.
    private let composites: MergeTable
    /// The primary composites, and the scalars that are the second of a pair (→ 1).
    private let compositeScalars: MergeTable
    private let secondScalars: MergeTable
    /// One bit per BMP scalar, set when it `isInert`.
    private let inertBasicMultilingualPlane: [UInt64]
    /// The number of decomposable scalars and of primary composites found.
    let decomposableCount: Int
    let compositeCount: Int

    /// The tables for the scalars of `ranges` that Unicode 9.0 assigns. A primary composite is a
    /// decomposable scalar that is not a composition exclusion; its pair is the last scalar of its
    /// full decomposition (it must not be blocked, so it sorts last) after the scalar, or the
    /// composite, that the rest of the decomposition comes from.
    init(scanning ranges: [ClosedRange<UInt32>]) {
        // One NFD over all candidates, each followed by U+0001 (a starter that decomposes to itself
        // and stops reordering), instead of one per scalar. Nothing below U+00C0 decomposes.
        var candidates: [UInt32] = []
        var text = String.UnicodeScalarView()
        for value in ranges.joined() where value >= 0xC0 && !(0xAC00...0xD7A3).contains(value) {
            guard let scalar = Unicode.Scalar(value), let age = scalar.properties.age, age.major <= 9 else { continue }
            candidates.append(value)
            text.append(scalar)
            text.append("\u{1}")
        }
        var decompositions: [(scalar: UInt32, scalars: [UInt32])] = []
        var current: [UInt32] = []
        var index = 0
        for scalar in String(text).decomposedStringWithCanonicalMapping.unicodeScalars {
            guard scalar != "\u{1}" else {
                if current != [candidates[index]] { decompositions.append((candidates[index], current)) }
                index += 1
                current.removeAll(keepingCapacity: true)
                continue
            }
            current.append(scalar.value)
        }

        var decompositionIndex: [UInt64: UInt64] = [:]
        var decompositionScalars: [UInt32] = []
        var compositeOfDecomposition: [[UInt32]: UInt32] = [:]
        for (scalar, scalars) in decompositions {
            decompositionIndex[UInt64(scalar)] = UInt64(decompositionScalars.count) << 8 | UInt64(scalars.count)
            decompositionScalars.append(contentsOf: scalars)
            if !Unicode.Scalar(scalar)!.properties.isFullCompositionExclusion { compositeOfDecomposition[scalars] = scalar }
        }
        var composites: [UInt64: UInt64] = [:]
        var compositeScalars: [UInt64: UInt64] = [:]
        var secondScalars: [UInt64: UInt64] = [:]
        for (scalars, composite) in compositeOfDecomposition {
            let rest = Array(scalars.dropLast())
            // Always found for Unicode 9.0 (checked against the pairs of its UnicodeData.txt).
            guard let first = rest.count == 1 ? rest[0] : compositeOfDecomposition[rest], let second = scalars.last else { continue }
            composites[UInt64(first) << 32 | UInt64(second)] = UInt64(composite)
            compositeScalars[UInt64(composite)] = 1
            secondScalars[UInt64(second)] = 1
        }
        for jamo in UInt64(0x1161)...0x1175 { secondScalars[jamo] = 1 }
        for jamo in UInt64(0x11A8)...0x11C2 { secondScalars[jamo] = 1 }
        self.decompositionIndex = MergeTable(decompositionIndex)
        self.decompositionScalars = decompositionScalars
        self.composites = MergeTable(composites)
        self.compositeScalars = MergeTable(compositeScalars)
        self.secondScalars = MergeTable(secondScalars)
        decomposableCount = decompositions.count
        compositeCount = composites.count
        var inert = [UInt64](repeating: 0, count: 0x10000 / 64)
        for value in UInt32(0)..<0x10000 where Self.isInert(value, self.decompositionIndex, self.compositeScalars, self.secondScalars) {
            inert[Int(value >> 6)] |= 1 << (value & 63)
        }
        inertBasicMultilingualPlane = inert
    }

    /// Whether NFC leaves `value` as it is whatever surrounds it (NFC_Quick_Check Yes and class 0):
    /// a text of such scalars is its own NFC.
    @inline(__always)
    func isInert(_ value: UInt32) -> Bool {
        value < 0x10000 ? inertBasicMultilingualPlane[Int(value >> 6)] >> (value & 63) & 1 != 0
            : Self.isInert(value, decompositionIndex, compositeScalars, secondScalars)
    }

    /// Not combining, not the second of a pair, and decomposing only if it is a primary composite.
    private static func isInert(_ value: UInt32, _ decompositionIndex: MergeTable, _ compositeScalars: MergeTable,
                                _ secondScalars: MergeTable) -> Bool {
        if value < 0x300 { return true }
        if combiningClass(value) != 0 || secondScalars[UInt64(value)] != nil { return false }
        return decompositionIndex[UInt64(value)] == nil || compositeScalars[UInt64(value)] != nil
    }

    /// The canonical combining class in Unicode 9.0's tables (0 for a scalar assigned later).
    static func combiningClass(_ value: UInt32) -> UInt8 {
        guard value >= 0x300, let properties = Unicode.Scalar(value)?.properties else { return 0 }
        let combiningClass = properties.canonicalCombiningClass.rawValue
        guard combiningClass != 0, let age = properties.age, age.major <= 9 else { return 0 }
        return combiningClass
    }

    /// Appends the full canonical decomposition of `scalar` (itself if it has none).
    @inline(__always)
    func appendDecomposition(of scalar: UInt32, to output: inout [UInt32]) {
        let syllable = scalar &- 0xAC00
        if syllable < 11_172 {
            output.append(0x1100 + syllable / 588)
            output.append(0x1161 + syllable % 588 / 28)
            if syllable % 28 != 0 { output.append(0x11A7 + syllable % 28) }
        } else if let entry = decompositionIndex[UInt64(scalar)] {
            let offset = Int(entry >> 8)
            output.append(contentsOf: decompositionScalars[offset..<(offset + Int(entry & 0xFF))])
        } else {
            output.append(scalar)
        }
    }

    /// The primary composite of `first` followed by `second`, if any.
    @inline(__always)
    func composite(_ first: UInt32, _ second: UInt32) -> UInt32? {
        if first &- 0x1100 < 19 && second &- 0x1161 < 21 {
            return 0xAC00 + ((first - 0x1100) * 21 + second - 0x1161) * 28
        }
        if first &- 0xAC00 < 11_172 && (first - 0xAC00) % 28 == 0 && second &- 0x11A8 < 27 {
            return first + second - 0x11A7
        }
        return composites[UInt64(first) << 32 | UInt64(second)].map { UInt32(truncatingIfNeeded: $0) }
    }
}
