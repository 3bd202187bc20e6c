import Foundation
import Testing
@testable import Tokenizer

/// Unsupported or broken files fail loudly, naming the file and the field.
@Suite struct ErrorTests {
    /// Writes fixture `name`'s tokenizer.json with `edits` applied (each `from` must occur) into a
    /// temporary folder and loads it.
    private func load(_ name: String, _ edits: [(from: String, to: String)], config: String? = nil) throws -> (folder: String, result: Result<Tokenizer, TokenizerError>) {
        var text = try String(contentsOfFile: Fixtures.tokenizerJSON(name), encoding: .utf8)
        for edit in edits {
            #expect(text.contains(edit.from), "edit '\(edit.from)' does not apply")
            text = text.replacingOccurrences(of: edit.from, with: edit.to)
        }
        let folder = try Fixtures.temporaryFolder()
        try text.write(toFile: "\(folder)/tokenizer.json", atomically: true, encoding: .utf8)
        if let config { try config.write(toFile: "\(folder)/tokenizer_config.json", atomically: true, encoding: .utf8) }
        return (folder, Result { () throws(TokenizerError) in try Tokenizer(folder: folder) })
    }

    private func expectError(_ name: String, _ edits: [(from: String, to: String)], config: String? = nil,
                             mentions: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> TokenizerError? {
        let (folder, result) = try load(name, edits, config: config)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        guard case .failure(let error) = result else {
            Issue.record("loaded without error", sourceLocation: sourceLocation)
            return nil
        }
        let message = error.description
        #expect(!message.contains("\n"), "not one line: \(message)", sourceLocation: sourceLocation)
        #expect(message.contains(folder), "does not name the file: \(message)", sourceLocation: sourceLocation)
        for word in mentions { #expect(message.contains(word), "'\(word)' missing from: \(message)", sourceLocation: sourceLocation) }
        return error
    }

    @Test func unsupportedModelType() throws {
        let error = try expectError("legacy", [("\"type\": \"BPE\"", "\"type\": \"WordPiece\"")], mentions: ["model.type", "WordPiece"])
        guard case .unsupported(let path, "model.type", _)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(path.hasSuffix("/tokenizer.json"))
    }

    @Test func unsupportedNormalizer() throws {
        _ = try expectError("legacy", [("\"type\": \"Prepend\"", "\"type\": \"NFKC\"")], mentions: ["normalizer.normalizers[0].type", "NFKC"])
    }

    @Test func regexReplaceIsUnsupported() throws {
        _ = try expectError("legacy", [("\"String\": \" \"", "\"Regex\": \"\\\\s\"")], mentions: ["normalizer.normalizers[1].pattern.Regex"])
    }

    @Test func unsupportedPreTokenizer() throws {
        _ = try expectError("metaspace", [("\"pre_tokenizer\": {\n    \"type\": \"Metaspace\"", "\"pre_tokenizer\": {\n    \"type\": \"Whitespace\"")],
                            mentions: ["pre_tokenizer.type", "Whitespace"])
    }

    /// A Split pattern other than the one implemented is refused, naming the file and the pattern
    /// (Llama 3's differs from Qwen2's only in `\p{N}{1,3}`), as are other Split and ByteLevel
    /// settings that would tokenize differently.
    @Test func unknownSplitPatternIsRefused() throws {
        let error = try expectError("bytelevel", [(#"\\p{L}+|\\p{N}|"#, #"\\p{L}+|\\p{N}{1,3}|"#)],
                                    mentions: ["pre_tokenizer.pretokenizers[0].pattern.Regex", #"'(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| "#, "Qwen2"])
        guard case .unsupported? = error else { Issue.record("\(String(describing: error))"); return }
        _ = try expectError("bytelevel", [(#""Regex": "(?i:"#, #""Regex": "\n(?i:"#)], mentions: [#"'\n(?i:'s"#])
        _ = try expectError("bytelevel", [(#""Regex":"#, #""String":"#)], mentions: ["pre_tokenizer.pretokenizers[0].pattern.String"])
        _ = try expectError("bytelevel", [(#""behavior": "Isolated""#, #""behavior": "Removed""#)],
                            mentions: ["pre_tokenizer.pretokenizers[0].behavior", "Removed"])
        _ = try expectError("bytelevel", [(#""invert": false"#, #""invert": true"#)], mentions: ["pre_tokenizer.pretokenizers[0].invert"])
    }

    @Test func byteLevelSettingsAreChecked() throws {
        _ = try expectError("bytelevel", [(#""use_regex": false"#, #""use_regex": true"#)],
                            mentions: ["pre_tokenizer.pretokenizers[1].use_regex", "GPT-2"])
        _ = try expectError("bytelevel", [(#""add_prefix_space": false"#, #""add_prefix_space": true"#)],
                            mentions: ["pre_tokenizer.pretokenizers[1].add_prefix_space"])
    }

    @Test func unsupportedDecoder() throws {
        _ = try expectError("legacy", [("\"type\": \"Fuse\"", "\"type\": \"CTC\"")], mentions: ["decoder.decoders[2].type", "CTC"])
    }

    @Test func unsupportedPostProcessor() throws {
        _ = try expectError("legacy", [("\"type\": \"TemplateProcessing\"", "\"type\": \"BertProcessing\"")], mentions: ["post_processor.type", "BertProcessing"])
    }

    @Test func truncationAndDropoutAreUnsupported() throws {
        _ = try expectError("legacy", [("\"truncation\": null", "\"truncation\": {\"max_length\": 8}")], mentions: ["truncation"])
        _ = try expectError("legacy", [("\"dropout\": null", "\"dropout\": 0.1")], mentions: ["model.dropout"])
        _ = try expectError("legacy", [("\"continuing_subword_prefix\": null", "\"continuing_subword_prefix\": \"##\"")], mentions: ["model.continuing_subword_prefix"])
    }

    @Test func mergeOutsideTheVocabulary() throws {
        let error = try expectError("legacy", [("\"merges\": [", "\"merges\": [\n      \"zq qz\",")], mentions: ["model.merges[0]", "zq"])
        guard case .invalidValue? = error else { Issue.record("\(String(describing: error))"); return }
        _ = try expectError("metaspace", [("\"merges\": [", "\"merges\": [\n      [\"a\"],")], mentions: ["model.merges[0]"])
    }

    @Test func wrongFieldType() throws {
        _ = try expectError("legacy", [("\"start\": 1", "\"start\": \"one\"")], mentions: ["decoder.decoders[3].start", "an integer"])
    }

    @Test func contradictoryMetaspaceSettings() throws {
        _ = try expectError("metaspace", [("\"prepend_scheme\": \"first\"", "\"prepend_scheme\": \"first\", \"add_prefix_space\": false")],
                            mentions: ["add_prefix_space"])
        _ = try expectError("metaspace", [("\"prepend_scheme\": \"first\"", "\"prepend_scheme\": \"sometimes\"")], mentions: ["prepend_scheme", "sometimes"])
    }

    @Test func configNamingAVocabularyTokenIsUnsupported() throws {
        _ = try expectError("legacy", [], config: #"{"pad_token": "▁the"}"#, mentions: ["tokenizer_config.json", "pad_token", "▁the"])
        _ = try expectError("legacy", [], config: #"{"added_tokens_decoder": {"7": {"content": "<image>"}}}"#,
                            mentions: ["tokenizer_config.json", "added_tokens_decoder.7", "<image>"])
    }

    @Test func invalidJSON() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "{\"model\": {\"type\": \"BPE\", ".write(toFile: "\(folder)/tokenizer.json", atomically: true, encoding: .utf8)
        #expect(throws: TokenizerError.self) { try Tokenizer(tokenizerJSON: "\(folder)/tokenizer.json") }
        do {
            _ = try Tokenizer(tokenizerJSON: "\(folder)/tokenizer.json")
        } catch {
            guard case .invalidJSON(let path, _) = error else { Issue.record("\(error)"); return }
            #expect(path == "\(folder)/tokenizer.json")
        }
    }

    @Test func missingFileNamesThePath() throws {
        let path = "/nonexistent/folder/tokenizer.json"
        #expect(throws: TokenizerError.cannotRead(path: path, reason: "no such file")) { try Tokenizer(tokenizerJSON: path) }
        #expect((TokenizerError.cannotRead(path: path, reason: "no such file")).description.contains(path))

        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(throws: TokenizerError.noTokenizerFile(folder: folder)) { try Tokenizer(folder: folder) }
        #expect(throws: TokenizerError.cannotRead(path: "\(folder)/absent", reason: "no such folder")) { try Tokenizer(folder: "\(folder)/absent") }
    }
}
