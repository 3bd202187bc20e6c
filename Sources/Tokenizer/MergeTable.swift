/// The merges as an open-addressing hash table: (left id << 32 | right id) → (rank << 32 | merged
/// id). Lookups are the inner loop of BPE, and a multiplicative hash with linear probing is several
/// times cheaper than `Dictionary`'s seeded SipHash.
struct MergeTable: Sendable {
    private static let empty = UInt64.max
    private let keys: [UInt64]
    private let values: [UInt64]
    private let shift: UInt64
    let count: Int

    /// `entries` keeps one value per pair (the caller decides which).
    init(_ entries: [UInt64: UInt64]) {
        var bits: UInt64 = 4
        while (1 << bits) < entries.count * 2 { bits += 1 }
        let capacity = 1 << Int(bits)
        var keys = [UInt64](repeating: Self.empty, count: capacity)
        var values = [UInt64](repeating: 0, count: capacity)
        let shift = 64 - bits
        for (key, value) in entries {
            var slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
            while keys[slot] != Self.empty { slot = (slot + 1) & (capacity - 1) }
            keys[slot] = key
            values[slot] = value
        }
        self.keys = keys
        self.values = values
        self.shift = shift
        self.count = entries.count
    }

    /// The (rank << 32 | merged id) of the pair `key`, if it merges.
    @inline(__always)
    subscript(key: UInt64) -> UInt64? {
        keys.withUnsafeBufferPointer { keys in
            let mask = keys.count - 1
            var slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
            while true {
                let found = keys[slot]
                if found == key { return values[slot] }
                if found == Self.empty { return nil }
                slot = (slot + 1) & mask
            }
        }
    }
}
