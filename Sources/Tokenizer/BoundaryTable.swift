/// Where a BPE word can be cut without changing its encoding.
///
/// A merged token's text is the concatenation of the texts of the symbols it joins. So if the last
/// character of one symbol's token followed by the first character of the next symbol's token
/// appears in no token that a merge produces, no merge (however many steps later) can join across
/// that point, and the two sides encode independently. In LLaMA vocabularies "x▁" occurs almost only
/// in runs of "▁", so a text the legacy normalizer turns into one long word is cut at nearly every
/// word boundary.
struct BoundaryTable: Sendable {
    /// First and last character of each token, by id.
    private let firstScalars: [UInt32]
    private let lastScalars: [UInt32]
    /// (a << 32 | b) for every pair of adjacent characters inside a merge result.
    private let joinedPairs: MergeTable

    /// The table of `vocab` (token → id, every id below `idCount`) whose merges produce the
    /// tokens `mergeResults`.
    init(vocab: [ArraySlice<UInt8>: Int32], idCount: Int, mergeResults: Set<Int32>, token: (Int) -> ArraySlice<UInt8>?) {
        var first = [UInt32](repeating: 0, count: idCount)
        var last = [UInt32](repeating: 0, count: idCount)
        for (token, id) in vocab where !token.isEmpty {
            first[Int(id)] = UTF8Scanning.scalar(in: token, at: token.startIndex).value
            last[Int(id)] = UTF8Scanning.scalar(in: token, endingAt: token.endIndex).value
        }
        var pairs: [UInt64: UInt64] = [:]
        for id in mergeResults {
            guard let token = token(Int(id)) else { continue }
            var previous: UInt32?
            var i = token.startIndex
            while i < token.endIndex {
                let (scalar, length) = UTF8Scanning.scalar(in: token, at: i)
                if let previous { pairs[UInt64(previous) << 32 | UInt64(scalar)] = 1 }
                previous = scalar
                i += length
            }
        }
        firstScalars = first
        lastScalars = last
        joinedPairs = MergeTable(pairs)
    }

    /// Whether no merge can ever join a symbol whose token is `left` to a following one whose
    /// token is `right` (ids from the model's vocabulary).
    @inline(__always)
    func separates(_ left: Int32, _ right: Int32) -> Bool {
        joinedPairs[UInt64(lastScalars[Int(left)]) << 32 | UInt64(firstScalars[Int(right)])] == nil
    }
}
