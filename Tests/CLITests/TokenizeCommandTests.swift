import Foundation
import TestSupport
import Testing
import WeightIO

/// `pdrop tokenize` on the committed tokenizer fixtures: printed ids equal the `tokenizers`
/// library's (Tests/Fixtures/tokenizer/parity.json), and `--decode` round-trips them.
@Suite struct TokenizeCommandTests {
    static let folder = Fixtures.path("tokenizer/legacy")

    static func cases() throws -> [(text: String, ids: [Int], decoded: String)] {
        let parity = try JSON.parse(contentsOf: Fixtures.path("tokenizer/parity.json"))
        let strings = try parity.requireArray("strings").compactMap(\.stringValue)
        let legacy = try parity.requireArray("tokenizers", "legacy", "cases")
        let prefix = try parity.requireArray("tokenizers", "legacy", "special_prefix").compactMap(\.intValue)
        return try [0, 7, 42, 101, 250].map { i in
            (strings[i], prefix + (try legacy[i].requireArray("ids").compactMap(\.intValue)), try legacy[i].requireString("decoded_all"))
        }
    }

    @Test func idsMatchTheReference() throws {
        for (text, ids, decodedAll) in try Self.cases() {
            let out = try CommandRunner.run(["tokenize", "--model", Self.folder, "--text", text, "--ids"])
            #expect(out.status == 0, "\(out.stderr)")
            #expect(out.stdout == ids.map(String.init).joined(separator: ",") + "\n", "\(text.debugDescription)")
            // Standard input gives the same ids, byte for byte.
            let piped = try CommandRunner.run(["tokenize", "--model", Self.folder, "--ids"], input: Array(text.utf8))
            #expect(piped.stdout == out.stdout)
            let decoded = try CommandRunner.run(["tokenize", "--model", Self.folder, "--decode", ids.map(String.init).joined(separator: ",")])
            #expect(decoded.stdout == decodedAll + "\n")   // tokenizers' decode(ids, skip_special_tokens=False)
        }
    }

    @Test func tableJSONAndNoBOS() throws {
        let table = try CommandRunner.run(["tokenize", "--model", Self.folder, "--text", "Hello world"])
        let lines = table.stdout.split(separator: "\n")
        #expect(lines.first == "1\t<s>")
        #expect(lines.allSatisfy { $0.split(separator: "\t").count == 2 })
        let json = try JSON.parse(try CommandRunner.run(["tokenize", "--model", Self.folder, "--text", "Hello world", "--json"]).stdout, source: "stdout")
        #expect(try json.requireArray("ids").count == lines.count)
        #expect(try json.requireArray("pieces").count == lines.count)
        #expect(try json.requireString("decoded").hasSuffix("Hello world"))
        let noBOS = try CommandRunner.run(["tokenize", "--model", Self.folder, "--text", "Hello world", "--ids", "--no-bos"])
        #expect(!noBOS.stdout.hasPrefix("1,"))
    }

    /// `--template` renders the chat template with `<image>` kept as one token.
    @Test func templateKeepsTheImageToken() throws {
        let folder = Fixtures.path("llava/tiny-llava-hf")
        let out = try CommandRunner.run(["tokenize", "--model", folder, "--text", "What is this?", "--template", "llava-hf"])
        #expect(out.stdout.split(separator: "\n").filter { $0.hasSuffix("\t<image>") }.count == 1)
    }

    @Test func invalidUTF8AndBadIdsAreOneLineErrors() throws {
        let bad = try CommandRunner.run(["tokenize", "--model", Self.folder], input: [0x66, 0xFF, 0x6F])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("not valid UTF-8") && bad.stderr.split(separator: "\n").count == 1)
        let missing = try CommandRunner.run(["tokenize", "--model", "/nonexistent", "--text", "x"])
        #expect(missing.status == 1 && missing.stderr.contains("/nonexistent"))
        let ids = try CommandRunner.run(["tokenize", "--model", Self.folder, "--decode", "1,x"])
        #expect(ids.status != 0)
    }
}
