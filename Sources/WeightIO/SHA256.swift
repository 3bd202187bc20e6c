/// SHA-256 (FIPS 180-4), fed incrementally: content hashes for the server's image cache and
/// digests of data files. Works over raw pointers so that it stays quick in debug builds.
///
/// ```swift
/// let hasher = SHA256()
/// hasher.update(header); hasher.update(pixels)
/// let hex = hasher.finalizeHex()
/// ```
public final class SHA256 {
    private var words: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    private let schedule = UnsafeMutablePointer<UInt32>.allocate(capacity: 64)
    /// Bytes of an incomplete block (fewer than 64).
    private var pending: [UInt8] = []
    private var length: UInt64 = 0
    private var finished = false

    public init() { pending.reserveCapacity(64) }

    deinit { schedule.deallocate() }

    /// The digest of `bytes` as 64 lowercase hex digits.
    public static func hex(_ bytes: UnsafeRawBufferPointer) -> String {
        let hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalizeHex()
    }

    /// The digest of `bytes` as 64 lowercase hex digits.
    public static func hex(_ bytes: [UInt8]) -> String { bytes.withUnsafeBytes { hex($0) } }

    /// Appends `bytes` to the message.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(!finished, "SHA256.update after finalize")
        length &+= UInt64(bytes.count)
        guard var base = bytes.baseAddress else { return }
        var remaining = bytes.count
        if !pending.isEmpty {
            let take = min(64 - pending.count, remaining)
            pending.append(contentsOf: UnsafeRawBufferPointer(start: base, count: take))
            base += take
            remaining -= take
            guard pending.count == 64 else { return }
            pending.withUnsafeBytes { block($0.baseAddress!) }
            pending.removeAll(keepingCapacity: true)
        }
        while remaining >= 64 {
            block(base)
            base += 64
            remaining -= 64
        }
        pending.append(contentsOf: UnsafeRawBufferPointer(start: base, count: remaining))
    }

    /// Appends `bytes` to the message.
    public func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    /// Appends a value's little-endian bytes (for lengths and dimensions that frame a message).
    public func update(littleEndian value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { update($0) }
    }

    /// The 32-byte digest; the hasher takes no more input afterwards.
    public func finalize() -> [UInt8] {
        precondition(!finished, "SHA256.finalize called twice")
        finished = true
        // Padding: 0x80, zeros, then the message length in bits, big-endian.
        var tail = pending + [0x80]
        while tail.count % 64 != 56 { tail.append(0) }
        let bits = length &* 8
        for shift in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
        tail.withUnsafeBytes { bytes in
            for offset in stride(from: 0, to: bytes.count, by: 64) { block(bytes.baseAddress! + offset) }
        }
        return words.flatMap { word in (0..<4).reversed().map { UInt8(truncatingIfNeeded: word >> UInt32(8 * $0)) } }
    }

    /// `finalize()` as 64 lowercase hex digits.
    public func finalizeHex() -> String {
        let digits = Array("0123456789abcdef")
        return String(finalize().flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }

    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    @inline(__always) private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x &>> n) | (x &<< (32 &- n)) }

    /// Compresses the 64 bytes at `p`.
    private func block(_ p: UnsafeRawPointer) {
        let w = schedule
        let bytes = p.assumingMemoryBound(to: UInt8.self)
        for i in 0..<16 {
            w[i] = UInt32(bytes[4 &* i]) &<< 24 | UInt32(bytes[4 &* i &+ 1]) &<< 16
                | UInt32(bytes[4 &* i &+ 2]) &<< 8 | UInt32(bytes[4 &* i &+ 3])
        }
        for i in 16..<64 {
            let s0 = Self.rotr(w[i &- 15], 7) ^ Self.rotr(w[i &- 15], 18) ^ (w[i &- 15] &>> 3)
            let s1 = Self.rotr(w[i &- 2], 17) ^ Self.rotr(w[i &- 2], 19) ^ (w[i &- 2] &>> 10)
            w[i] = w[i &- 16] &+ s0 &+ w[i &- 7] &+ s1
        }
        Self.k.withUnsafeBufferPointer { k in
            words.withUnsafeMutableBufferPointer { h in
                var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7]
                for i in 0..<64 {
                    let t1 = hh &+ (Self.rotr(e, 6) ^ Self.rotr(e, 11) ^ Self.rotr(e, 25)) &+ ((e & f) ^ (~e & g)) &+ k[i] &+ w[i]
                    let t2 = (Self.rotr(a, 2) ^ Self.rotr(a, 13) ^ Self.rotr(a, 22)) &+ ((a & b) ^ (a & c) ^ (b & c))
                    hh = g; g = f; f = e; e = d &+ t1; d = c; c = b; b = a; a = t1 &+ t2
                }
                h[0] = h[0] &+ a; h[1] = h[1] &+ b; h[2] = h[2] &+ c; h[3] = h[3] &+ d
                h[4] = h[4] &+ e; h[5] = h[5] &+ f; h[6] = h[6] &+ g; h[7] = h[7] &+ hh
            }
        }
    }
}
