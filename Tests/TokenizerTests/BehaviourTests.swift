import Testing
import Tensors
@testable import Tokenizer

/// Behaviour beyond the fixture tables: streaming, byte-exact vocabulary, and the heap BPE against
/// a naive reference on words far longer than the fixtures'.
@Suite struct BehaviourTests {
    private func legacy() throws -> Tokenizer { try Tokenizer(tokenizerJSON: Fixtures.tokenizerJSON("legacy")) }

    private func byteIDs(_ tokenizer: Tokenizer, _ text: String) throws -> [Int] {
        var ids: [Int] = []
        for byte in text.utf8 {
            ids.append(try #require(tokenizer.id(of: String(format: "<0x%02X>", byte))))
        }
        return ids
    }

    @Test func streamingEmojiSplitAcrossByteTokens() throws {
        let tokenizer = try legacy()
        let the = try #require(tokenizer.id(of: "▁the"))
        let grin = try byteIDs(tokenizer, "😀")
        #expect(grin.count == 4)
        var stream = tokenizer.streamingDecoder()
        // Nothing (and never U+FFFD) until the fourth byte completes the character.
        #expect(grin.dropLast().map { stream.next($0) } == [nil, nil, nil])
        #expect(stream.next(grin[3]) == "😀")
        #expect(stream.next(the) == " the")
        #expect(stream.next(the) == " the")
        // The first piece of a stream loses its leading space, like decode() does.
        var fresh = tokenizer.streamingDecoder()
        #expect(fresh.next(the) == "the")
        #expect(fresh.next(grin[0]) == nil)
        #expect(fresh.next(grin[1]) == nil)
        // An incomplete character followed by a normal token is shown as U+FFFD per byte.
        #expect(fresh.next(the) == "�� the")
    }

    @Test func streamingConcatenationEqualsDecode() throws {
        let tokenizer = try legacy()
        let text = "USER: <image>\nWhat is 日本語 and 😀 and e\u{301}? ASSISTANT: A cat 🐱 on the mat."
        let ids = tokenizer.encode(text)
        for skip in [true, false] {
            var stream = tokenizer.streamingDecoder(skipSpecialTokens: skip)
            let streamed = ids.compactMap { stream.next($0) }.joined()
            #expect(streamed == tokenizer.decode(ids, skipSpecialTokens: skip))
        }
    }

    /// Bytes that never complete a character are withheld while streaming and released by
    /// `finish()` as the whole decode shows them, so the pieces still add up to `decode`.
    @Test func finishReleasesAnIncompleteTail() throws {
        let tokenizer = try legacy()
        let the = try #require(tokenizer.id(of: "▁the"))
        let grin = try byteIDs(tokenizer, "😀")
        for ids in [[the] + grin.prefix(2), [grin[3], grin[3], grin[3]], [the, the], []] {
            var stream = tokenizer.streamingDecoder()
            let streamed = ids.compactMap { stream.next($0) }.joined()
            #expect(streamed + stream.finish() == tokenizer.decode(ids), "\(ids)")
            #expect(stream.finish() == "")
        }
        var stream = tokenizer.streamingDecoder()
        #expect([grin[3], grin[3]].compactMap { stream.next($0) }.isEmpty)
        #expect(stream.finish() == "��")
    }

    /// A run of U+FFFD (here 60 of them, as 180 byte tokens) is released once withheld for
    /// `withheldLimit` tokens, not kept in a window that grows (and is re-decoded) to its end, and
    /// the pieces still add up to the whole decode; with a character split at the end as well.
    /// (Only bytes that turn the whole run invalid — ByteFallback then shows every byte of it as
    /// U+FFFD, where `DecodeStream` would raise InvalidPrefix had it released any — break that.)
    /// (Fuzzing found it: 182 bytes of 0xFF, `Fuzz/Regressions/tokenizer-text/fffd-run-quadratic-stream.txt`,
    /// took over a second to stream through the three tokenizers under ASan.)
    @Test func aRunOfReplacementCharactersIsReleasedEarly() throws {
        let tokenizer = try legacy()
        let the = try #require(tokenizer.id(of: "▁the"))
        let run = try byteIDs(tokenizer, String(repeating: "\u{FFFD}", count: 60))
        let grin = try byteIDs(tokenizer, "😀")
        for ids in [run + [the], run, run + [the] + grin.prefix(2), [the] + run] {
            var stream = tokenizer.streamingDecoder()
            let pieces = ids.map { stream.next($0) }
            let first = try #require(pieces.firstIndex { $0 != nil }, "\(ids.count) ids")
            #expect(first <= StreamingDecoder.withheldLimit + 1)
            #expect(pieces.compactMap { $0 }.joined() + stream.finish() == tokenizer.decode(ids))
        }
        // Lead bytes that never get their continuation: every token ends inside a character, and
        // the run is released after 4 × withheldLimit tokens all the same.
        let leads = Array(repeating: try #require(tokenizer.id(of: "<0xC3>")), count: 80)
        var stream = tokenizer.streamingDecoder()
        let pieces = leads.map { stream.next($0) }
        #expect(pieces.firstIndex { $0 != nil } == 4 * StreamingDecoder.withheldLimit)
        #expect(pieces.compactMap { $0 }.joined() + stream.finish() == tokenizer.decode(leads))
    }

    /// Ids the decode drops (special tokens when skipped, ids outside the vocabulary) release nothing
    /// and change nothing around them.
    @Test func droppedIdsLeaveTheStreamAsItWas() throws {
        let tokenizer = try legacy()
        let the = try #require(tokenizer.id(of: "▁the"))
        let eos = try #require(tokenizer.id(of: "</s>"))
        let grin = try byteIDs(tokenizer, "😀")
        let ids = [the, grin[0], eos, grin[1], 1 << 40, grin[2], eos, grin[3], the]
        var stream = tokenizer.streamingDecoder()
        let pieces = ids.map { stream.next($0) }
        #expect(pieces == ["the", nil, nil, nil, nil, nil, nil, "😀", " the"])
        #expect(pieces.compactMap { $0 }.joined() == tokenizer.decode(ids))
    }

    /// Swift's `==` on strings is canonical equivalence; the vocabulary must not be.
    @Test func canonicallyEquivalentTokensStayDistinct() throws {
        let tokenizer = try legacy()
        let composed = "▁caf\u{E9}", decomposed = "▁cafe\u{301}"
        #expect(composed == decomposed)  // the trap
        let a = try #require(tokenizer.id(of: composed)), b = try #require(tokenizer.id(of: decomposed))
        #expect(a != b)
        #expect(tokenizer.token(of: b).map { Array($0.utf8) } == Array(decomposed.utf8))
        #expect(tokenizer.encode("caf\u{E9}", addSpecialTokens: false) == [a])
        #expect(tokenizer.encode("cafe\u{301}", addSpecialTokens: false) == [b])
        #expect(Array(tokenizer.decode([b]).utf8) == Array("cafe\u{301}".utf8))
    }

    @Test func specialTokenIDs() throws {
        let tokenizer = try Tokenizer(folder: Fixtures.folder("legacy"))
        #expect(tokenizer.bosID == 1 && tokenizer.eosID == 2 && tokenizer.unkID == 0)
        #expect(tokenizer.padID == tokenizer.id(of: "<pad>"))
        #expect(tokenizer.configuration.addBOSToken == true)
        let image = try #require(tokenizer.id(of: "<image>")), sep = try #require(tokenizer.id(of: "<sep>"))
        #expect(tokenizer.isSpecial(1) && tokenizer.isSpecial(image))
        #expect(!tokenizer.isSpecial(sep))
        // A bare tokenizer.json: BOS from the template; "$A </s>" gives EOS and no BOS.
        #expect(try Tokenizer(tokenizerJSON: Fixtures.tokenizerJSON("legacy")).bosID == 1)
        let split = try Tokenizer(tokenizerJSON: Fixtures.tokenizerJSON("metaspace-split"))
        #expect(split.bosID == nil && split.eosID == 2)
        #expect(split.encode("hi").last == 2)
    }

    /// The heap-driven merge gives exactly what the textbook algorithm (repeatedly merge the
    /// leftmost pair of lowest rank) gives, on words of ~3 000 characters (the fixtures' longest
    /// are 400): with the legacy normalizer the whole text is one word, which is cut where no merge
    /// can cross (`BoundaryTable`); with "metaspace-never" (no byte fallback, so no cutting) a text
    /// without spaces is one word merged in one heap.
    @Test(arguments: [("legacy", " "), ("metaspace-never", "")])
    func heapMergeEqualsNaiveMergeOnLongWords(name: String, separator: String) throws {
        let tokenizer = try Tokenizer(tokenizerJSON: Fixtures.tokenizerJSON(name))
        let model = tokenizer.model
        var generator = SplitMix64(seed: 42)
        let words = ["the", "model", "image", "token", "a", "of", "tokenization", "pyramid", "drop", "xq", "aaaa", "ab"]
        var text = ""
        while text.utf8.count < 3_000 {
            text += words[Int(generator.next() % UInt64(words.count))]
            text += separator.isEmpty ? "" : generator.next() % 5 == 0 ? separator + separator : separator
        }
        let word = tokenizer.normalizer?.normalize(Array(text.utf8)) ?? Array(text.utf8)
        var symbols: [Int32] = []
        var i = 0
        while i < word.count {
            let length = UTF8Scanning.scalarLength(lead: word[i])
            symbols.append(try #require(model.vocab[word[i..<(i + length)]]))
            i += length
        }
        // Naive O(n²): find the lowest-rank adjacent pair (leftmost on ties), merge it, repeat.
        while true {
            var best: (rank: UInt64, index: Int, id: Int32)?
            for k in 0..<(symbols.count - 1) {
                guard let merge = model.merges[BPEModel.pairKey(symbols[k], symbols[k + 1])] else { continue }
                if best.map({ merge >> 32 < $0.rank }) ?? true { best = (merge >> 32, k, Int32(truncatingIfNeeded: merge)) }
            }
            guard let best else { break }
            symbols[best.index] = best.id
            symbols.remove(at: best.index + 1)
        }
        #expect(symbols.count > 500)
        #expect(tokenizer.encode(text, addSpecialTokens: false) == symbols.map { Int($0) })
    }
}
