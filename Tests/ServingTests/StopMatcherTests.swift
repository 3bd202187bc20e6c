import Serving
import Testing

@Suite struct StopMatcherTests {
    /// The pieces released after each token, the finish's, and whether it stopped.
    private func run(_ stops: [String], _ tokens: [String]) -> (pieces: [String], text: String, stopped: Bool) {
        var matcher = StopMatcher(stops)
        var pieces: [String] = []
        for token in tokens {
            pieces.append(matcher.feed(token))
            if matcher.stopped { break }
        }
        pieces.append(matcher.finish())
        return (pieces, pieces.joined(), matcher.stopped)
    }

    @Test func noStopsPassesEverythingAtOnce() {
        let result = run([], ["Hel", "lo"])
        #expect(result.pieces == ["Hel", "lo", ""] && !result.stopped)
    }

    @Test func stopInsideOneToken() {
        #expect(run(["END"], ["abcENDdef"]) == (["abc", ""], "abc", true))
    }

    @Test func stopSplitAcrossTokensIsWithheldThenCut() {
        let result = run(["</answer>"], ["The cat", " </ans", "wer> more"])
        #expect(result.pieces == ["The cat", " ", "", ""] && result.text == "The cat " && result.stopped)
    }

    @Test func withheldPrefixIsReleasedWhenItIsNotAStop() {
        let result = run(["STOP"], ["go ST", "ART", " now"])
        #expect(result.pieces == ["go ", "START", " now", ""] && result.text == "go START now" && !result.stopped)
        #expect(run(["STOP"], ["go ST"]).pieces == ["go ", "ST"])  // the end releases what was held
    }

    @Test func overlappingPrefixes() {
        // "aab": after "aa" the tail "aa" may still start it; after "aaa" only "aa" is held.
        #expect(run(["aab"], ["a", "a", "a", "b"]) == (["", "", "a", "", ""], "a", true))
        // Two stops sharing letters: the earliest match wins.
        #expect(run(["abc", "bcd"], ["xab", "cd"]).text == "x")
        #expect(run(["bcd", "abce"], ["xab", "cd"]).text == "xa")
        // A stop that is a prefix of another: the shorter one matches first.
        #expect(run(["ab", "abc"], ["zab"]).text == "z")
    }

    @Test func multiByteText() {
        #expect(run(["。"], ["こんに", "ちは。", "続き"]).text == "こんにちは")
        #expect(run(["\u{301}x"], ["cafe", "\u{301}", "x"]).text == "cafe")
    }
}
