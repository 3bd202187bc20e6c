import Foundation
import Testing
import WeightIO
@testable import Tokenizer

/// Hostile or unsupported GGUF tokenizer metadata: each a one-line `TokenizerError` naming the
/// file and the key.
@Suite struct GGUFTokenizerErrorTests {
    /// A small valid "llama" vocabulary: the three specials, the 256 byte tokens, then a few pieces.
    static func metadata() -> [(key: String, value: GGUFValue)] {
        let pieces = ["▁", "a", "b", "ab", "▁ab"]
        let tokens = ["<unk>", "<s>", "</s>"] + (0..<256).map { String(format: "<0x%02X>", $0) } + pieces
        let types: [Int32] = [2, 3, 3] + Array(repeating: 6, count: 256) + Array(repeating: 1, count: pieces.count)
        return [
            ("general.architecture", .string("llama")),
            ("tokenizer.ggml.model", .string("llama")),
            ("tokenizer.ggml.pre", .string("default")),
            ("tokenizer.ggml.tokens", .array(type: 8, tokens.map { .string($0) })),
            ("tokenizer.ggml.scores", .array(type: 6, tokens.indices.map { .float32(-Float($0)) })),
            ("tokenizer.ggml.token_type", .array(type: 5, types.map { .int32($0) })),
            ("tokenizer.ggml.bos_token_id", .uint32(1)),
            ("tokenizer.ggml.eos_token_id", .uint32(2)),
            ("tokenizer.ggml.unknown_token_id", .uint32(0)),
        ]
    }

    /// `metadata()` with `changes` applied (nil removes the key), written to a temporary file.
    private func tokenizer(_ changes: [String: GGUFValue?]) throws(TokenizerError) -> Tokenizer {
        var entries = Self.metadata().filter { changes[$0.key] == nil }
        for (key, value) in changes.sorted(by: { $0.key < $1.key }) {
            if let value = value ?? nil { entries.append((key, value)) }
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gguf-tokenizer-\(UUID().uuidString).gguf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        do { try GGUFWriter.write(metadata: entries, tensors: [], to: path) } catch {
            throw .cannotRead(path: path, reason: "test file not written: \(error)")
        }
        return try Tokenizer(ggufPath: path)
    }

    private func failure(_ changes: [String: GGUFValue?]) -> TokenizerError? {
        do { _ = try tokenizer(changes); return nil } catch { return error }
    }

    @Test func theBaseMetadataLoads() throws {
        let tokenizer = try tokenizer([:])
        #expect(tokenizer.encode("ab") == [1, 263])         // BOS, then "▁ab" (scored merges: "▁" + "ab")
        #expect(tokenizer.decode(tokenizer.encode("ab ba")) == "ab ba")
        #expect(tokenizer.bosID == 1 && tokenizer.eosID == 2 && tokenizer.unkID == 0 && tokenizer.padID == nil)
    }

    @Test func addBOSAndEOSFlagsShapeTheTemplate() throws {
        #expect(try tokenizer(["tokenizer.ggml.add_bos_token": .bool(false)]).encode("ab") == [263])
        #expect(try tokenizer(["tokenizer.ggml.add_eos_token": .bool(true)]).encode("ab") == [1, 263, 2])
    }

    @Test func listedMergesReplaceGeneratedOnes() throws {
        // Only "a b" is listed: "▁ab" can no longer form, "ab" still does.
        let tokenizer = try tokenizer(["tokenizer.ggml.merges": .array(type: 8, [.string("a b")]),
                                       "tokenizer.ggml.scores": nil])
        #expect(tokenizer.encode("ab", addSpecialTokens: false) == [259, 262])
    }

    @Test func eachProblemHasItsOwnError() throws {
        let cases: [(changes: [String: GGUFValue?], field: String, kind: String)] = [
            (["tokenizer.ggml.model": nil], "tokenizer.ggml.model", "missingField"),
            (["tokenizer.ggml.model": .uint32(1)], "tokenizer.ggml.model", "wrongType"),
            (["tokenizer.ggml.model": .string("gpt2")], "tokenizer.ggml.model", "unsupported"),
            (["tokenizer.ggml.model": .string("bert")], "tokenizer.ggml.model", "unsupported"),
            (["general.architecture": .string("gemma2")], "general.architecture", "unsupported"),
            (["tokenizer.ggml.pre": .string("llama-bpe")], "tokenizer.ggml.pre", "unsupported"),
            (["tokenizer.ggml.add_space_prefix": .bool(false)], "tokenizer.ggml.add_space_prefix", "unsupported"),
            (["tokenizer.ggml.tokens": nil], "tokenizer.ggml.tokens", "missingField"),
            (["tokenizer.ggml.tokens": .array(type: 5, [.int32(1)])], "tokenizer.ggml.tokens", "wrongType"),
            (["tokenizer.ggml.tokens": .array(type: 8, [])], "tokenizer.ggml.tokens", "invalidValue"),
            (["tokenizer.ggml.scores": nil], "tokenizer.ggml.scores", "missingField"),
            (["tokenizer.ggml.scores": .array(type: 6, [.float32(0)])], "tokenizer.ggml.scores", "invalidValue"),
            (["tokenizer.ggml.scores": .array(type: 8, [.string("0")])], "tokenizer.ggml.scores", "wrongType"),
            (["tokenizer.ggml.token_type": .array(type: 5, [.int32(1)])], "tokenizer.ggml.token_type", "invalidValue"),
            (["tokenizer.ggml.token_type": .string("normal")], "tokenizer.ggml.token_type", "wrongType"),
            (["tokenizer.ggml.bos_token_id": .uint32(264)], "tokenizer.ggml.bos_token_id", "invalidValue"),
            (["tokenizer.ggml.padding_token_id": .int32(-1)], "tokenizer.ggml.padding_token_id", "invalidValue"),
            (["tokenizer.ggml.eos_token_id": .string("</s>")], "tokenizer.ggml.eos_token_id", "wrongType"),
            (["tokenizer.ggml.add_bos_token": .uint8(1)], "tokenizer.ggml.add_bos_token", "wrongType"),
            (["tokenizer.chat_template": .bool(true)], "tokenizer.chat_template", "wrongType"),
            (["tokenizer.ggml.merges": .array(type: 8, [.string("a b c")])], "tokenizer.ggml.merges[0]", "invalidValue"),
            (["tokenizer.ggml.merges": .array(type: 8, [.string("a b"), .string("a x")])], "tokenizer.ggml.merges[1]", "invalidValue"),
        ]
        var seen = Set<String>()
        for (changes, field, kind) in cases {
            let error = try #require(failure(changes), "\(changes) loaded")
            let description = error.description
            #expect(!description.contains("\n"), "\(description)")
            #expect(description.contains(".gguf: "), "\(description)")
            #expect(Self.kind(of: error) == kind, "\(changes): \(description)")
            if !field.isEmpty { #expect(Self.field(of: error) == field, "\(changes): \(description)") }
            #expect(seen.insert(description.components(separatedBy: ".gguf: ")[1]).inserted, "two cases share '\(description)'")
        }
    }

    @Test func badTokenTypeValueIsNamedByIndex() throws {
        var types = try #require(Self.metadata().first { $0.key == "tokenizer.ggml.token_type" }?.value.arrayValue)
        types[7] = .int32(9)
        let error = try #require(failure(["tokenizer.ggml.token_type": .array(type: 5, types)]))
        #expect(Self.field(of: error) == "tokenizer.ggml.token_type[7]")
    }

    @Test func repeatedTokenIsRefused() throws {
        var tokens = try #require(Self.metadata().first { $0.key == "tokenizer.ggml.tokens" }?.value.arrayValue)
        tokens[tokens.count - 1] = .string("ab")
        let error = try #require(failure(["tokenizer.ggml.tokens": .array(type: 8, tokens)]))
        #expect(Self.field(of: error) == "tokenizer.ggml.tokens[\(tokens.count - 1)]")
        #expect(Self.kind(of: error) == "invalidValue")
    }

    @Test func vocabularyWithoutLlamaDefaultsIsRefused() throws {
        var tokens = try #require(Self.metadata().first { $0.key == "tokenizer.ggml.tokens" }?.value.arrayValue)
        tokens[1] = .string("<bos>")
        let error = try #require(failure(["tokenizer.ggml.tokens": .array(type: 8, tokens), "tokenizer.ggml.bos_token_id": nil]))
        #expect(Self.kind(of: error) == "unsupported")
        #expect(error.description.contains("'<s>'"))
    }

    @Test func notAGGUFFileIsCannotRead() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("not-gguf-\(UUID().uuidString).gguf").path
        try Data("not a gguf file at all".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: TokenizerError.self) { try Tokenizer(ggufPath: path) }
        do { _ = try Tokenizer(ggufPath: path) } catch { #expect(Self.kind(of: error) == "cannotRead") }
    }

    static func kind(of error: TokenizerError) -> String {
        switch error {
        case .cannotRead: return "cannotRead"
        case .missingField: return "missingField"
        case .wrongType: return "wrongType"
        case .unsupported: return "unsupported"
        case .invalidValue: return "invalidValue"
        default: return "\(error)"
        }
    }

    static func field(of error: TokenizerError) -> String? {
        switch error {
        case let .missingField(_, field), let .wrongType(_, field, _, _), let .unsupported(_, field, _), let .invalidValue(_, field, _):
            return field
        default: return nil
        }
    }
}
