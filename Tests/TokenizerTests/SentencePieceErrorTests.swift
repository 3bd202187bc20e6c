import Foundation
import Testing
@testable import Tokenizer

/// A protobuf encoder for building small ModelProtos in tests.
struct ProtoWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }
    mutating func tag(_ field: Int, _ wireType: UInt8) { varint(UInt64(field) << 3 | UInt64(wireType)) }
    mutating func int(_ field: Int, _ value: Int64) { tag(field, 0); varint(UInt64(bitPattern: value)) }
    mutating func bool(_ field: Int, _ value: Bool) { int(field, value ? 1 : 0) }
    mutating func float(_ field: Int, _ value: Float) {
        tag(field, 5)
        let bits = value.bitPattern
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: bits >> UInt32(shift))) }
    }
    mutating func data(_ field: Int, _ value: [UInt8]) { tag(field, 2); varint(UInt64(value.count)); bytes += value }
    mutating func string(_ field: Int, _ value: String) { data(field, Array(value.utf8)) }
    mutating func message(_ field: Int, _ build: (inout ProtoWriter) -> Void) {
        var inner = ProtoWriter()
        build(&inner)
        data(field, inner.bytes)
    }
}

/// A small BPE ModelProto with LLaMA's settings; each test changes what it needs.
struct SyntheticModel {
    var pieces: [(text: [UInt8], type: Int64)] =
        [(Array("<unk>".utf8), 2), (Array("<s>".utf8), 3), (Array("</s>".utf8), 3)]
        + (0..<256).map { (BPEModel.byteToken(UInt8($0)), 6) }
        + ["▁", "a", "b", "▁a", "ab", "▁ab"].map { (Array($0.utf8), 1) }
    var modelType: Int64 = 2
    var byteFallback = true
    var treatWhitespaceAsSuffix = false
    var unkID: Int64 = 0
    var name = "identity"
    var charsmap: [UInt8] = []
    var addDummyPrefix = true
    var removeExtraWhitespaces = false
    var escapeWhitespaces = true

    var bytes: [UInt8] {
        var proto = ProtoWriter()
        for (index, piece) in pieces.enumerated() {
            proto.message(1) { p in
                p.data(1, piece.text)
                p.float(2, -Float(index))
                if piece.type != 1 { p.int(3, piece.type) }
            }
        }
        proto.message(2) { t in
            t.int(3, modelType)
            t.int(4, Int64(pieces.count))
            if treatWhitespaceAsSuffix { t.bool(24, true) }
            t.bool(35, byteFallback)
            t.int(40, unkID)
            t.int(43, -1)
        }
        proto.message(3) { n in
            n.string(1, name)
            n.data(2, charsmap)
            n.bool(3, addDummyPrefix)
            n.bool(4, removeExtraWhitespaces)
            n.bool(5, escapeWhitespaces)
        }
        return proto.bytes
    }
}

/// Unsupported, truncated or corrupt tokenizer.model files fail loudly, naming the file.
@Suite struct SentencePieceErrorTests {
    /// Writes `bytes` as tokenizer.model (and `config` as tokenizer_config.json) into a
    /// temporary folder and loads the folder.
    private func load(_ bytes: [UInt8], config: String? = nil) throws -> (path: String, result: Result<Tokenizer, TokenizerError>) {
        let folder = try Fixtures.temporaryFolder()
        let path = "\(folder)/tokenizer.model"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        if let config { try config.write(toFile: "\(folder)/tokenizer_config.json", atomically: true, encoding: .utf8) }
        return (path, Result { () throws(TokenizerError) in try Tokenizer(folder: folder) })
    }

    @discardableResult
    private func expectError(_ bytes: [UInt8], config: String? = nil, mentions: [String],
                             sourceLocation: SourceLocation = #_sourceLocation) throws -> TokenizerError? {
        let (path, result) = try load(bytes, config: config)
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        guard case .failure(let error) = result else {
            Issue.record("loaded without error", sourceLocation: sourceLocation)
            return nil
        }
        let message = error.description
        #expect(!message.contains("\n"), "not one line: \(message)", sourceLocation: sourceLocation)
        #expect(message.contains(path), "does not name the file: \(message)", sourceLocation: sourceLocation)
        for word in mentions { #expect(message.contains(word), "'\(word)' missing from: \(message)", sourceLocation: sourceLocation) }
        return error
    }

    private var fixtureBytes: [UInt8] {
        get throws { Array(try Data(contentsOf: URL(fileURLWithPath: "\(Fixtures.folder("sentencepiece"))/tokenizer.model"))) }
    }

    @Test func syntheticModelLoads() throws {
        let (path, result) = try load(SyntheticModel().bytes)
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let tokenizer = try result.get()
        let ab = try #require(tokenizer.id(of: "▁ab")), a = try #require(tokenizer.id(of: "a"))
        #expect(tokenizer.encode("ab ab ba", addSpecialTokens: false) == [ab, ab, try #require(tokenizer.id(of: "▁")),
                                                                          try #require(tokenizer.id(of: "b")), a])
        #expect(tokenizer.decode(tokenizer.encode("ab é")) == "ab é")
    }

    @Test func unigramModelIsRefused() throws {
        let folder = Fixtures.folder("sentencepiece-unigram")
        #expect(throws: TokenizerError.self) { try Tokenizer(folder: folder) }
        do {
            _ = try Tokenizer(folder: folder)
        } catch {
            guard case let .unsupported(path, field, value) = error else { Issue.record("\(error)"); return }
            #expect(path == "\(folder)/tokenizer.model" && field == "trainer_spec.model_type" && value.contains("UNIGRAM"))
            #expect(error.description.contains("\(folder)/tokenizer.model") && !error.description.contains("\n"))
        }
        var model = SyntheticModel()
        model.modelType = 4
        try expectError(model.bytes, mentions: ["trainer_spec.model_type", "CHAR"])
    }

    /// Every prefix of the fixture model is refused (a cut inside a field runs past the end of a
    /// length or value; a cut between fields leaves a required part missing).
    @Test func truncatedModelsAreRefused() throws {
        let bytes = try fixtureBytes
        var cuts = Array(stride(from: 0, to: bytes.count, by: 31))
        cuts += (bytes.count - 64)..<bytes.count
        for cut in cuts {
            do {
                _ = try SentencePieceModel(bytes: Array(bytes[..<cut]), path: "m")
                Issue.record("cut at \(cut): loaded without error")
            } catch {
                guard case .invalidSentencePieceModel = error else { Issue.record("cut at \(cut): \(error)"); continue }
            }
        }
        let error = try expectError(Array(bytes[..<(bytes.count / 2)]), mentions: ["not a valid SentencePiece model", "truncated"])
        guard case .invalidSentencePieceModel? = error else { Issue.record("\(String(describing: error))"); return }
        try expectError([], mentions: ["no pieces"])
    }

    @Test func corruptModelsAreRefused() throws {
        var bytes = try fixtureBytes
        bytes[0] = 0x0F  // field 1 with wire type 7
        try expectError(bytes, mentions: ["invalid wire type 7", "at byte 0"])
        try expectError(Array("{\"model\": {\"type\": \"BPE\"}}".utf8), mentions: ["not a valid SentencePiece model"])
        try expectError([0x08, 0x01], mentions: ["'pieces'", "expected length-delimited"])
        try expectError([0x0A, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], mentions: ["varint longer than 64 bits"])
        try expectError([0x0A, 0xFF, 0xFF, 0x03, 0x0A], mentions: ["needs 65535 bytes, 1 remain"])
        try expectError([0x0B], mentions: ["group"])
        var model = SyntheticModel()
        model.pieces[262].type = 9
        try expectError(model.bytes, mentions: ["pieces[262].type is 9"])
        model = SyntheticModel()
        model.pieces[262].text = [0x61, 0xFF]
        try expectError(model.bytes, mentions: ["pieces[262].piece", "UTF-8"])
    }

    @Test func invalidValuesAreRefused() throws {
        var model = SyntheticModel()
        model.pieces[260].text = model.pieces[259].text
        try expectError(model.bytes, mentions: ["pieces[260].piece", "already piece 259"])
        model = SyntheticModel()
        model.pieces[260].text = []
        try expectError(model.bytes, mentions: ["pieces[260].piece", "empty"])
        model = SyntheticModel()
        model.unkID = 1
        try expectError(model.bytes, mentions: ["trainer_spec.unk_id"])
    }

    /// Settings SentencePiece applies but transformers' LlamaTokenizer ignores are refused.
    @Test func unsupportedSettingsAreRefused() throws {
        var model = SyntheticModel()
        model.byteFallback = false
        try expectError(model.bytes, mentions: ["trainer_spec.byte_fallback"])
        model = SyntheticModel()
        model.treatWhitespaceAsSuffix = true
        try expectError(model.bytes, mentions: ["trainer_spec.treat_whitespace_as_suffix"])
        model = SyntheticModel()
        model.name = "nmt_nfkc"
        model.charsmap = [1, 2, 3, 4]
        try expectError(model.bytes, mentions: ["normalizer_spec.precompiled_charsmap", "nmt_nfkc"])
        model.charsmap = []
        try expectError(model.bytes, mentions: ["normalizer_spec.name", "nmt_nfkc"])
        model = SyntheticModel()
        model.removeExtraWhitespaces = true
        try expectError(model.bytes, mentions: ["normalizer_spec.remove_extra_whitespaces"])
        model = SyntheticModel()
        model.escapeWhitespaces = false
        try expectError(model.bytes, mentions: ["normalizer_spec.escape_whitespaces"])
        model = SyntheticModel()
        model.addDummyPrefix = false
        try expectError(model.bytes, mentions: ["normalizer_spec.add_dummy_prefix", "add_prefix_space"])
        // Without a dummy prefix, a config that turns add_prefix_space off agrees with SentencePiece.
        let (path, result) = try load(model.bytes, config: #"{"add_prefix_space": false}"#)
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let tokenizer = try result.get()
        #expect(tokenizer.encode("ab ab", addSpecialTokens: false) == [try #require(tokenizer.id(of: "ab")), try #require(tokenizer.id(of: "▁ab"))])
        #expect(tokenizer.decode(tokenizer.encode(" ab")) == " ab")
    }

    @Test func folderWithNeitherFile() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "{}".write(toFile: "\(folder)/tokenizer_config.json", atomically: true, encoding: .utf8)
        #expect(throws: TokenizerError.noTokenizerFile(folder: folder)) { try Tokenizer(folder: folder) }
        let message = TokenizerError.noTokenizerFile(folder: folder).description
        #expect(message.contains(folder) && message.contains("tokenizer.json") && message.contains("tokenizer.model"))
        #expect(throws: TokenizerError.cannotRead(path: "\(folder)/absent.model", reason: "no such file")) {
            try Tokenizer(sentencePieceModel: "\(folder)/absent.model")
        }
    }
}
