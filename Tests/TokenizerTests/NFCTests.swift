import Testing
@testable import Tokenizer

/// The NFC normalizer beyond the fixture strings: its composition table and the cases where
/// Swift's own NFC is wrong and tokenizers' Unicode 9.0 tables differ from Swift's.
@Suite struct NFCTests {
    private func nfc(_ text: String) -> [UInt32] {
        String(decoding: NFC.normalize(Array(text.utf8)), as: UTF8.self).unicodeScalars.map(\.value)
    }

    /// Scanning only `decomposableRanges` finds every decomposition and primary composite of
    /// Unicode 9.0 that scanning all scalars does (the ranged tables are a subset of the full ones,
    /// so equal counts mean equal tables).
    @Test func decomposableRangesHoldEveryDecomposition() {
        let tables = NormalizationTables.unicode9
        #expect(tables.decomposableCount == 2060 && tables.compositeCount == 940)
        let everything = NormalizationTables(scanning: [0...0x10FFFF])
        #expect(everything.decomposableCount == tables.decomposableCount && everything.compositeCount == tables.compositeCount)
    }

    /// Where Swift 6.3's `precomposedStringWithCanonicalMapping` composes wrongly, and a run of
    /// marks longer than the insertion-sorted ones.
    @Test func swiftCompositionBugsAreAvoided() {
        #expect(nfc("\u{10041}\u{301}") == [0x10041, 0x301])  // Swift: "Á"
        #expect(nfc("\u{AC00}\u{11A8}") == [0xAC01])  // Swift: U+AC00 U+11A8
        #expect(nfc("\u{11099}\u{110BA}") == [0x1109A])
        #expect(nfc("\u{1099}\u{110BA}") == [0x1099, 0x110BA])
        let marks = nfc("a" + String(repeating: "\u{301}\u{316}", count: 50))
        #expect(marks == [0xE1] + Array(repeating: 0x316, count: 50) + Array(repeating: 0x301, count: 49))
    }

    /// Scalars newer than Unicode 9.0 neither reorder nor compose, as in tokenizers' tables; the
    /// text around them is normalized.
    @Test func scalarsNewerThanUnicode9AreLeftAlone() {
        // U+1ACC (Unicode 14, class 230) stays before U+0316 (class 220); U+0301 (also 230) moves
        // after it and composes with the "a".
        #expect(nfc("a\u{1ACC}\u{316}") == [0x61, 0x1ACC, 0x316])
        #expect(nfc("a\u{301}\u{316}") == [0xE1, 0x316])
        #expect(nfc("e\u{301}\u{1ACC}e\u{301}") == [0xE9, 0x1ACC, 0xE9])
        // U+11935 U+11930 composes to U+11938 since Unicode 13.
        #expect(nfc("\u{11935}\u{11930}") == [0x11935, 0x11930])
    }

    @Test func latinAndASCIIAreUnchanged() {
        for text in ["hello world", "café crème", "Ærøskøbing ÿ", ""] {
            #expect(NFC.normalize(Array(text.utf8)) == Array(text.utf8))
        }
        #expect(nfc("\u{212B}") == [0xC5])
        #expect(nfc("\u{1E9B}\u{323}") == [0x1E9B, 0x323])
    }
}
