/// Cuts streamed text at the first stop string. Text that might be the start of a stop string is
/// withheld until the next piece shows whether it is; at a match the text before it is released
/// and everything after it dropped. Matching is over Unicode scalars, so a stop string split
/// across tokens, or overlapping another's prefix, is still found.
public struct StopMatcher: Sendable {
    private let stops: [[Unicode.Scalar]]
    private var pending: [Unicode.Scalar] = []
    /// Whether a stop string was found (generation should end; later text is ignored).
    public private(set) var stopped = false

    /// A matcher for `stops` (empty strings ignored).
    public init(_ stops: [String]) {
        self.stops = stops.map { Array($0.unicodeScalars) }.filter { !$0.isEmpty }
    }

    /// The text that can be sent now, given the next piece of the answer.
    public mutating func feed(_ text: String) -> String {
        guard !stopped else { return "" }
        pending += text.unicodeScalars
        for start in pending.indices where stops.contains(where: { matches($0, at: start) }) {
            stopped = true
            defer { pending = [] }
            return String(String.UnicodeScalarView(pending[..<start]))
        }
        let held = heldBack()
        let ready = String(String.UnicodeScalarView(pending[..<(pending.count - held)]))
        pending.removeFirst(pending.count - held)
        return ready
    }

    /// What is still withheld, when the answer ends without a stop string.
    public mutating func finish() -> String {
        defer { pending = [] }
        return stopped ? "" : String(String.UnicodeScalarView(pending))
    }

    private func matches(_ stop: [Unicode.Scalar], at start: Int) -> Bool {
        pending.count - start >= stop.count && pending[start..<(start + stop.count)].elementsEqual(stop)
    }

    /// The length of the longest tail of `pending` that some stop string starts with.
    private func heldBack() -> Int {
        for length in stride(from: min(pending.count, (stops.map(\.count).max() ?? 1) - 1), to: 0, by: -1) {
            let tail = pending[(pending.count - length)...]
            if stops.contains(where: { $0.count > length && $0.starts(with: tail) }) { return length }
        }
        return 0
    }
}
