import Foundation
import WeightIO

/// The tokenizer, generation and preprocessing files of a model folder that a conversion carries,
/// and the edits that add or remove llava-hf's `<image>` and `<pad>` tokens in all of them
/// consistently (a special token left in one file would be added back by the others).
struct TokenizerFiles {
    /// The files carried, when present; every other file of the source folder (besides weights,
    /// indexes and config.json) is ignored and listed in the report.
    static let carried = ["tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json",
                          "added_tokens.json", "generation_config.json", "preprocessor_config.json"]

    /// The folder the files were read from.
    let folder: String
    /// File name → contents, for the files present.
    var files: [String: [UInt8]]

    init(folder: String) throws {
        self.folder = folder
        var files: [String: [UInt8]] = [:]
        for name in Self.carried where FileManager.default.fileExists(atPath: folder + "/" + name) {
            files[name] = try FileBytes.read(folder + "/" + name)
        }
        self.files = files
    }

    /// A token as tokenizer.json's `added_tokens` and tokenizer_config.json's
    /// `added_tokens_decoder` store it (special, matched in the raw text).
    private static func addedToken(_ content: String, id: Int?) -> JSON {
        var members: [String: JSON] = ["content": .string(content), "lstrip": .bool(false), "normalized": .bool(false),
                                       "rstrip": .bool(false), "single_word": .bool(false), "special": .bool(true)]
        if let id { members["id"] = .int(id) }
        return .object(members)
    }

    /// The text of a special-token entry (a string or an object with `content`).
    private static func content(_ value: JSON) -> String? {
        value.stringValue ?? value["content"]?.stringValue
    }

    /// Parses, edits and re-serialises `name` if present.
    private mutating func edit(_ name: String, _ body: (inout [String: JSON]) throws -> Void) throws {
        guard let bytes = files[name] else { return }
        let path = folder + "/" + name
        guard let text = String(validating: bytes, as: UTF8.self) else { throw WeightIOError.invalidJSON(source: path, reason: "not valid UTF-8") }
        guard var object = try JSON.parse(text, source: path).objectValue else {
            throw ConversionError.unsupportedConfig(path: path, field: "(top level)", reason: "expected a JSON object")
        }
        try body(&object)
        files[name] = Array((JSON.object(object).serialized(pretty: true) + "\n").utf8)
    }

    /// Adds `tokens` (new special tokens with their ids) and makes `pad` the padding token and
    /// `image` an extra special token, as transformers' LLaVA conversion does.
    mutating func add(_ tokens: [(content: String, id: Int)], image: String, pad: (content: String, id: Int)) throws {
        try edit("tokenizer.json") { root in
            var list = root["added_tokens"]?.arrayValue ?? []
            list += tokens.map { Self.addedToken($0.content, id: $0.id) }
            root["added_tokens"] = .array(list)
        }
        try edit("tokenizer_config.json") { root in
            if var decoder = root["added_tokens_decoder"]?.objectValue {
                for token in tokens { decoder[String(token.id)] = Self.addedToken(token.content, id: nil) }
                root["added_tokens_decoder"] = .object(decoder)
            }
            root["pad_token"] = .string(pad.content)
            let key = root["extra_special_tokens"]?.arrayValue != nil ? "extra_special_tokens" : "additional_special_tokens"
            var extras = root[key]?.arrayValue ?? []
            if !extras.contains(where: { Self.content($0) == image }) { extras.append(.string(image)) }
            root[key] = .array(extras)
        }
        try edit("special_tokens_map.json") { root in
            root["pad_token"] = .string(pad.content)
            var extras = root["additional_special_tokens"]?.arrayValue ?? []
            if !extras.contains(where: { Self.content($0) == image }) { extras.append(.string(image)) }
            root["additional_special_tokens"] = .array(extras)
        }
        // A sentencepiece-only folder records added tokens in added_tokens.json.
        if files["added_tokens.json"] == nil, files["tokenizer.json"] == nil, files["tokenizer.model"] != nil, !tokens.isEmpty {
            files["added_tokens.json"] = Array("{}".utf8)
        }
        try edit("added_tokens.json") { root in
            for token in tokens { root[token.content] = .int(token.id) }
        }
        try edit("generation_config.json") { root in
            root["pad_token_id"] = .int(pad.id)
        }
    }

    /// Removes `tokens` everywhere; a padding token among them is replaced by `unk` (what the
    /// original LLaVA trained with) or dropped.
    mutating func remove(_ tokens: [(content: String, id: Int)], unk: JSON?) throws {
        let contents = Set(tokens.map(\.content)), ids = Set(tokens.map(\.id))
        func removedContent(_ value: JSON?) -> Bool { value.flatMap(Self.content).map(contents.contains) ?? false }
        func cleanSpecials(_ root: inout [String: JSON]) {
            if removedContent(root["pad_token"]) {
                root["pad_token"] = unk
            }
            for key in ["extra_special_tokens", "additional_special_tokens"] {
                guard let list = root[key]?.arrayValue else { continue }
                let kept = list.filter { !removedContent($0) }
                root[key] = kept.isEmpty ? nil : .array(kept)
            }
        }
        try edit("tokenizer.json") { root in
            if let list = root["added_tokens"]?.arrayValue {
                root["added_tokens"] = .array(list.filter { !removedContent($0) })
            }
        }
        try edit("tokenizer_config.json") { root in
            if let decoder = root["added_tokens_decoder"]?.objectValue {
                root["added_tokens_decoder"] = .object(decoder.filter { !removedContent($0.value) })
            }
            cleanSpecials(&root)
        }
        try edit("special_tokens_map.json") { root in cleanSpecials(&root) }
        try edit("added_tokens.json") { root in
            for content in contents { root[content] = nil }
        }
        try edit("generation_config.json") { root in
            if let pad = root["pad_token_id"]?.intValue, ids.contains(pad) { root["pad_token_id"] = nil }
        }
    }
}
