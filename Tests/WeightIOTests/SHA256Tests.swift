import Testing
import WeightIO

/// SHA-256 against the FIPS 180-4 / NIST example digests (as `hashlib.sha256` prints them), whole
/// and fed in pieces that straddle block boundaries.
@Suite struct SHA256Tests {
    static let vectors: [(message: [UInt8], digest: String)] = [
        ([], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (Array("abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ([UInt8](repeating: 0x61, count: 1000), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"),
    ]

    @Test func matchesTheStandardDigests() {
        for (message, digest) in Self.vectors { #expect(SHA256.hex(message) == digest, "\(message.count) bytes") }
    }

    @Test(arguments: [1, 7, 63, 64, 65, 130])
    func piecesGiveTheWholeDigest(piece: Int) {
        for (message, digest) in Self.vectors {
            let hasher = SHA256()
            for start in stride(from: 0, to: message.count, by: piece) { hasher.update(Array(message[start..<min(start + piece, message.count)])) }
            #expect(hasher.finalizeHex() == digest, "\(message.count) bytes in pieces of \(piece)")
        }
    }

    @Test func framingChangesTheDigest() {
        let a = SHA256(), b = SHA256()
        a.update(littleEndian: 1); a.update([2])
        b.update(littleEndian: 2); b.update([1])
        #expect(a.finalize() != b.finalize())
    }
}
