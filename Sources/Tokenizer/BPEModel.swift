/// The `model` section: a BPE vocabulary and its ranked merges, with SentencePiece-style byte
/// fallback (`<0xXX>` tokens) and unknown-token handling, as Hugging Face `tokenizers` does it.
///
/// Tokens are byte strings, never Swift `String`s (see `TokenizerFile`). Encoding a word is in
/// `BPEMerge.swift`.
struct BPEModel: Sendable {
    /// Token bytes → id.
    let vocab: [ArraySlice<UInt8>: Int32]
    /// The tokens, in no particular order.
    private let tokenList: [ArraySlice<UInt8>]
    /// Id → index in `tokenList` (-1 where the vocabulary skips an id): 4 bytes an id rather than
    /// a slice an id, since a file may name one large id and few tokens.
    private let tokenIndex: [Int32]
    /// (left id << 32 | right id) → (rank << 32 | merged id).
    let merges: MergeTable
    /// Ids of single-byte tokens (ASCII characters), -1 if absent.
    let asciiIDs: [Int32]
    /// Ids of single-character tokens beyond ASCII.
    let scalarIDs: [UInt32: Int32]
    /// Ids of the byte tokens `<0x00>` … `<0xFF>`, -1 if absent.
    let byteIDs: [Int32]
    let unkID: Int32?
    /// Where words can be cut (only when every character maps to symbols one for one: byte
    /// fallback with all 256 byte tokens).
    let boundaries: BoundaryTable?
    let byteFallback: Bool
    let fuseUnk: Bool
    let ignoreMerges: Bool

    /// The number of vocabulary entries (tokenizers' `get_vocab_size(false)`).
    var count: Int { vocab.count }

    /// The token of `id`, if the vocabulary has one.
    func token(of id: Int) -> ArraySlice<UInt8>? {
        Self.token(of: id, index: tokenIndex, list: tokenList)
    }

    /// The largest id the model accepts: 8 times the largest vocabulary of any released model
    /// (262,144), so that more means a corrupt file. The id tables cost 12 bytes an id up to the
    /// largest id given (24 MiB at this limit), however few tokens the file holds.
    static let maximumID = 1 << 21

    /// Reads tokenizer.json's `model` section.
    init(file: TokenizerFile) throws(TokenizerError) {
        let settings = try file.modelSettings()
        let path = file.path
        if let type = try settings.string("type"), type != "BPE" {
            throw .unsupported(path: path, field: "model.type", value: "model '\(type)' (implemented: BPE)")
        }
        if let dropout = try settings.member("dropout")?.asDouble, dropout != 0 {
            throw .unsupported(path: path, field: "model.dropout", value: "\(dropout) (BPE dropout is random; only null or 0 is implemented)")
        }
        for field in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = try settings.string(field), !value.isEmpty {
                throw .unsupported(path: path, field: "model.\(field)", value: "'\(value)' (only null is implemented)")
            }
        }
        try self.init(path: path, entries: try file.vocabulary(), merges: try file.merges(),
                      unkToken: try settings.string("unk_token"), byteFallback: try settings.bool("byte_fallback") ?? false,
                      fuseUnk: try settings.bool("fuse_unk") ?? false, ignoreMerges: try settings.bool("ignore_merges") ?? false)
    }

    /// A model from its parts, as tokenizers' `BPE::new` builds it: `entries` are (token, id)
    /// pairs, `merges` are ranked by position. Errors name `path` and the tokenizer.json field the
    /// part would come from.
    init(path: String, entries: [(token: [UInt8], id: Int)], merges pairs: [(left: [UInt8], right: [UInt8])],
         unkToken: String?, byteFallback: Bool, fuseUnk: Bool, ignoreMerges: Bool) throws(TokenizerError) {
        self.byteFallback = byteFallback
        self.fuseUnk = fuseUnk
        self.ignoreMerges = ignoreMerges

        // Vocabulary.
        var vocab: [ArraySlice<UInt8>: Int32] = [:]
        vocab.reserveCapacity(entries.count)
        var maxID = -1
        for (token, id) in entries {
            guard id >= 0 && id <= Self.maximumID else {
                throw .invalidValue(path: path, field: "model.vocab[\"\(String(decoding: token, as: UTF8.self))\"]", reason: "id \(id) is out of range 0...\(Self.maximumID)")
            }
            vocab[ArraySlice(token)] = Int32(id)
            maxID = max(maxID, id)
        }
        var tokenList: [ArraySlice<UInt8>] = []
        tokenList.reserveCapacity(vocab.count)
        var tokenIndex = [Int32](repeating: -1, count: maxID + 1)
        for (token, id) in vocab {
            let other = tokenIndex[Int(id)]
            if other >= 0 {
                let names = [tokenList[Int(other)], token].map { "'\(String(decoding: $0, as: UTF8.self))'" }.sorted().joined(separator: " and ")
                throw .invalidValue(path: path, field: "model.vocab", reason: "id \(id) is given to two tokens, \(names)")
            }
            tokenIndex[Int(id)] = Int32(tokenList.count)
            tokenList.append(token)
        }
        self.vocab = vocab
        self.tokenList = tokenList
        self.tokenIndex = tokenIndex

        // Fast lookup tables for single characters and byte tokens.
        var ascii = [Int32](repeating: -1, count: 128)
        var scalars: [UInt32: Int32] = [:]
        for (token, id) in vocab where !token.isEmpty && UTF8Scanning.scalarLength(lead: token[token.startIndex]) == token.count {
            let scalar = UTF8Scanning.scalar(in: token, at: token.startIndex).value
            if scalar < 128 { ascii[Int(scalar)] = id } else { scalars[scalar] = id }
        }
        asciiIDs = ascii
        scalarIDs = scalars
        byteIDs = (0..<256).map { byte in vocab[ArraySlice(Self.byteToken(UInt8(byte)))] ?? -1 }

        if let unk = unkToken {
            guard let id = vocab[ArraySlice(unk.utf8)] else {
                throw .invalidValue(path: path, field: "model.unk_token", reason: "'\(unk)' is not in the vocabulary")
            }
            unkID = id
        } else {
            unkID = nil
        }

        // Merges: rank = position in the list (a repeated pair keeps its last rank, as in tokenizers).
        var merges: [UInt64: UInt64] = [:]
        merges.reserveCapacity(pairs.count)
        var mergeResults = Set<Int32>()
        for (rank, pair) in pairs.enumerated() {
            func id(_ token: [UInt8]) throws(TokenizerError) -> Int32 {
                guard let id = vocab[ArraySlice(token)] else {
                    throw .invalidValue(path: path, field: "model.merges[\(rank)]", reason: "token '\(String(decoding: token, as: UTF8.self))' is not in the vocabulary")
                }
                return id
            }
            let left = try id(pair.left), right = try id(pair.right), merged = try id(pair.left + pair.right)
            merges[Self.pairKey(left, right)] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: merged))
            mergeResults.insert(merged)
        }
        self.merges = MergeTable(merges)
        boundaries = byteFallback && !byteIDs.contains(-1) ? BoundaryTable(vocab: vocab, idCount: tokenIndex.count, mergeResults: mergeResults) { id in
            Self.token(of: id, index: tokenIndex, list: tokenList)
        } : nil
    }

    private static func token(of id: Int, index: [Int32], list: [ArraySlice<UInt8>]) -> ArraySlice<UInt8>? {
        guard id >= 0 && id < index.count, index[id] >= 0 else { return nil }
        return list[Int(index[id])]
    }

    /// The byte token SentencePiece uses for `byte`: `<0x0A>`.
    static func byteToken(_ byte: UInt8) -> [UInt8] {
        let hex = Array("0123456789ABCDEF".utf8)
        return [UInt8(ascii: "<"), UInt8(ascii: "0"), UInt8(ascii: "x"), hex[Int(byte >> 4)], hex[Int(byte & 15)], UInt8(ascii: ">")]
    }

    @inline(__always)
    static func pairKey(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }
}
