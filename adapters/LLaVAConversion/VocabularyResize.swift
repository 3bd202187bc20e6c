import Foundation
import Tokenizer
import WeightIO

/// How the vocabulary changes between the original layout (the text model's own tokens) and
/// llava-hf (`<image>` and `<pad>` added, embedding and lm_head rows padded to a multiple of 64),
/// as transformers' `convert_llava_weights_to_hf.py` does.
enum VocabularyResize {
    static let imageToken = "<image>"
    static let padToken = "<pad>"
    /// llava-hf pads the rows to a multiple of this.
    static let rowMultiple = 64

    /// Original → llava-hf.
    struct Growth {
        /// Tokens to add, in id order (`<image>` then `<pad>`, unless the tokenizer has them).
        var added: [(content: String, id: Int)]
        var imageID: Int
        var padID: Int
        /// The embedding rows after padding.
        var rows: Int
    }

    /// New tokens take the next ids of the tokenizer (its vocabulary size with added tokens:
    /// `<image>` = 32000, `<pad>` = 32001 for LLaMA's 32000); tokens the tokenizer already has keep
    /// their ids. Rows are padded to cover every id, rounded up to a multiple of 64. A folder with
    /// only `tokenizer.model` counts the embedding rows (and `added_tokens.json`) as its vocabulary.
    static func grow(folder: String, files: TokenizerFiles, rows: Int) throws -> Growth {
        var next: Int
        var image: Int?, pad: Int?
        if files.files["tokenizer.json"] != nil {
            let tokenizer = try Tokenizer(folder: folder)
            next = tokenizer.vocabularySize
            image = tokenizer.id(of: imageToken)
            pad = tokenizer.id(of: padToken)
        } else {
            let added = try files.files["added_tokens.json"].map { try JSON.parse(String(decoding: $0, as: UTF8.self), source: folder + "/added_tokens.json") }
            let ids = added?.objectValue?.compactMapValues(\.intValue) ?? [:]
            next = max(rows, (ids.values.max() ?? -1) + 1)
            image = ids[imageToken]
            pad = ids[padToken]
        }
        var added: [(content: String, id: Int)] = []
        func assign(_ existing: Int?, _ content: String) -> Int {
            if let existing { return existing }
            added.append((content, next))
            next += 1
            return next - 1
        }
        let imageID = assign(image, imageToken)
        let padID = assign(pad, padToken)
        let needed = max(rows, next, imageID + 1, padID + 1)
        return Growth(added: added, imageID: imageID, padID: padID, rows: (needed + rowMultiple - 1) / rowMultiple * rowMultiple)
    }

    /// llava-hf → original.
    struct Shrink {
        /// Tokens removed from the tokenizer files.
        var removed: [(content: String, id: Int)]
        /// The real vocabulary: the rows kept.
        var vocabulary: Int
    }

    /// The real vocabulary is the tokenizer's size without its added `<image>` and `<pad>`, which
    /// must be its last ids (as llava-hf has them: 32000 and 32001 of 32002); the padding rows
    /// past it are dropped. Without tokenizer.json: the smaller of the config's
    /// `image_token_index` and `pad_token_id`.
    static func shrink(folder: String, files: TokenizerFiles, config: [String: JSON], rows: Int) throws -> Shrink {
        var removed: [(content: String, id: Int)] = []
        var vocabulary: Int
        if files.files["tokenizer.json"] != nil {
            let tokenizer = try Tokenizer(folder: folder)
            vocabulary = tokenizer.vocabularySize
            let candidates = tokenizer.addedTokens.filter { $0.content == imageToken || $0.content == padToken }.sorted { $0.id > $1.id }
            for token in candidates {
                guard token.id == vocabulary - 1 else {
                    throw ConversionError.vocabulary(path: folder + "/tokenizer.json", reason: "'\(token.content)' has id \(token.id) but the "
                        + "vocabulary continues to id \(vocabulary - 1); only tokens at its end can be removed")
                }
                removed.append((token.content, token.id))
                vocabulary -= 1
            }
            removed.reverse()
        } else {
            let image = config["image_token_index"]?.intValue ?? config["image_token_id"]?.intValue
            let pad = config["pad_token_id"]?.intValue ?? config["text_config"]?["pad_token_id"]?.intValue
            removed = [(imageToken, image), (padToken, pad)].compactMap { token in token.1.map { (token.0, $0) } }.filter { $0.id < rows }
            vocabulary = removed.map(\.id).min() ?? rows
        }
        guard vocabulary <= rows else {
            throw ConversionError.vocabulary(path: folder, reason: "the tokenizer has \(vocabulary) tokens but the embedding only \(rows) rows")
        }
        return Shrink(removed: removed, vocabulary: vocabulary)
    }
}
