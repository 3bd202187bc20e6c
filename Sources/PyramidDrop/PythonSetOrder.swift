/// The order CPython (3.7–3.12) iterates a `set` of non-negative small integers in: DART's
/// official code walks its pivots as `list(set(...))`, so the order they pick tokens in, and
/// with it the result, follows the hash table's layout rather than the pivots' scores.
///
/// Emulates `Objects/setobject.c`: a key's slot is `hash & mask` (`hash(i) == i`), a taken slot
/// tries the next 9 slots when they fit before the table's end, then jumps by
/// `i = (5·i + 1 + (perturb >>= 5)) & mask`; the table (8 slots at first) grows when
/// `fill · 5 ≥ mask · 3`, to the smallest power of two above `4 · used`, re-inserting the old
/// entries in slot order.
enum PythonSetOrder {
    /// `list(set(values))` for `values` in `0..<2⁶¹`.
    static func iterationOrder(_ values: [Int]) -> [Int] {
        var table = [Int?](repeating: nil, count: 8)
        var used = 0
        func insert(_ key: Int, into table: inout [Int?]) {
            let mask = table.count - 1
            var perturb = key, i = key & mask
            while true {
                if table[i] == nil { table[i] = key; return }
                if i + 9 <= mask, let free = (1...9).first(where: { table[i + $0] == nil }) { table[i + free] = key; return }
                perturb >>= 5
                i = (i * 5 + 1 + perturb) & mask
            }
        }
        for key in values where !table.contains(key) {
            precondition(key >= 0 && key < 1 << 61, "PythonSetOrder: \(key) is outside 0..<2⁶¹")
            insert(key, into: &table)
            used += 1
            if used * 5 >= (table.count - 1) * 3 {
                var size = 8
                while size <= used * 4 { size <<= 1 }
                var grown = [Int?](repeating: nil, count: size)
                for old in table.compactMap({ $0 }) { insert(old, into: &grown) }
                table = grown
            }
        }
        return table.compactMap { $0 }
    }
}
