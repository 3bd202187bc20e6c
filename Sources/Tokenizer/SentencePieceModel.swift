import WeightIO

/// A SentencePiece `tokenizer.model`: the parts of its `ModelProto` (sentencepiece_model.proto)
/// that decide tokenization. Fields this module never uses (training options, self-test data) are
/// skipped; values are checked only for being well-formed here; whether they can be converted is
/// decided in `SentencePieceConversion.swift`.
struct SentencePieceModel: Sendable {
    /// `ModelProto.SentencePiece.Type`.
    enum PieceType: Int32, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6

        var name: String {
            switch self {
            case .normal: return "NORMAL"
            case .unknown: return "UNKNOWN"
            case .control: return "CONTROL"
            case .userDefined: return "USER_DEFINED"
            case .unused: return "UNUSED"
            case .byte: return "BYTE"
            }
        }
    }

    /// One vocabulary entry; its id is its position in `pieces`.
    struct Piece: Sendable {
        /// The piece's text (valid UTF-8, `▁` for spaces).
        var text: [UInt8] = []
        var score: Float = 0
        var type: PieceType = .normal
    }

    /// `TrainerSpec.ModelType`.
    enum ModelType: Int32, Sendable {
        case unigram = 1, bpe = 2, word = 3, char = 4

        var name: String {
            switch self {
            case .unigram: return "UNIGRAM"
            case .bpe: return "BPE"
            case .word: return "WORD"
            case .char: return "CHAR"
            }
        }
    }

    /// The `TrainerSpec` fields that matter after training, with the proto's defaults.
    struct TrainerSpec: Sendable {
        /// The raw enum value (see `ModelType`).
        var modelType: Int32 = ModelType.unigram.rawValue
        var byteFallback = false
        var treatWhitespaceAsSuffix = false
        var unkID: Int32 = 0
        var bosID: Int32 = 1
        var eosID: Int32 = 2
        var padID: Int32 = -1
    }

    /// `NormalizerSpec`, with the proto's defaults.
    struct NormalizerSpec: Sendable {
        var name: [UInt8] = []
        var precompiledCharsmap: [UInt8] = []
        var addDummyPrefix = true
        var removeExtraWhitespaces = true
        var escapeWhitespaces = true
        var normalizationRuleTSV: [UInt8] = []
    }

    /// The file the model was read from (for error messages).
    let path: String
    /// The vocabulary, in id order.
    private(set) var pieces: [Piece] = []
    private(set) var trainerSpec = TrainerSpec()
    private(set) var normalizerSpec = NormalizerSpec()
    /// `denormalizer_spec`, if the file has one.
    private(set) var denormalizerSpec: NormalizerSpec?

    /// Reads and checks `path`.
    init(path: String) throws(TokenizerError) {
        try self.init(bytes: try TokenizerError.reading(path), path: path)
    }

    /// Parses a serialized ModelProto; `path` is only used in errors.
    init(bytes: [UInt8], path: String) throws(TokenizerError) {
        self.path = path
        var sawTrainerSpec = false, sawNormalizerSpec = false
        do {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1:
                    var message = try reader.message(field, "pieces")
                    pieces.append(try Self.piece(&message, index: pieces.count))
                case 2:
                    // A message field that occurs twice is merged, as protobuf does.
                    var message = try reader.message(field, "trainer_spec")
                    try Self.readTrainerSpec(&message, into: &trainerSpec)
                    sawTrainerSpec = true
                case 3:
                    var message = try reader.message(field, "normalizer_spec")
                    try Self.readNormalizerSpec(&message, into: &normalizerSpec, "normalizer_spec")
                    sawNormalizerSpec = true
                case 5:
                    var message = try reader.message(field, "denormalizer_spec")
                    var spec = denormalizerSpec ?? NormalizerSpec()
                    try Self.readNormalizerSpec(&message, into: &spec, "denormalizer_spec")
                    denormalizerSpec = spec
                default:
                    try reader.skip(field)
                }
            }
        } catch {
            throw .invalidSentencePieceModel(path: path, reason: "\(error.reason) (at byte \(error.offset) of \(bytes.count))")
        }
        // A file cut at a field boundary still parses: insist on what every model has.
        guard !pieces.isEmpty else { throw .invalidSentencePieceModel(path: path, reason: "no pieces (empty or truncated file)") }
        guard sawTrainerSpec else { throw .invalidSentencePieceModel(path: path, reason: "no trainer_spec (truncated file?)") }
        guard sawNormalizerSpec else { throw .invalidSentencePieceModel(path: path, reason: "no normalizer_spec (truncated file?)") }
        try validate()
    }

    // MARK: - Messages

    private static func piece(_ reader: inout ProtobufReader, index: Int) throws(ProtobufReader.Failure) -> Piece {
        var piece = Piece()
        while let field = try reader.nextField() {
            switch field.number {
            case 1: piece.text = try reader.string(field, "pieces[\(index)].piece")
            case 2: piece.score = try reader.float(field, "pieces[\(index)].score")
            case 3:
                let raw = try reader.int32(field, "pieces[\(index)].type")
                guard let type = PieceType(rawValue: raw) else {
                    throw ProtobufReader.Failure(offset: field.offset, reason: "pieces[\(index)].type is \(raw), not a piece type (1...6)")
                }
                piece.type = type
            default: try reader.skip(field)
            }
        }
        return piece
    }

    private static func readTrainerSpec(_ reader: inout ProtobufReader, into spec: inout TrainerSpec) throws(ProtobufReader.Failure) {
        while let field = try reader.nextField() {
            switch field.number {
            case 3: spec.modelType = try reader.int32(field, "trainer_spec.model_type")
            case 24: spec.treatWhitespaceAsSuffix = try reader.bool(field, "trainer_spec.treat_whitespace_as_suffix")
            case 35: spec.byteFallback = try reader.bool(field, "trainer_spec.byte_fallback")
            case 40: spec.unkID = try reader.int32(field, "trainer_spec.unk_id")
            case 41: spec.bosID = try reader.int32(field, "trainer_spec.bos_id")
            case 42: spec.eosID = try reader.int32(field, "trainer_spec.eos_id")
            case 43: spec.padID = try reader.int32(field, "trainer_spec.pad_id")
            default: try reader.skip(field)
            }
        }
    }

    private static func readNormalizerSpec(_ reader: inout ProtobufReader, into spec: inout NormalizerSpec,
                                           _ name: String) throws(ProtobufReader.Failure) {
        while let field = try reader.nextField() {
            switch field.number {
            case 1: spec.name = try reader.string(field, "\(name).name")
            case 2: spec.precompiledCharsmap = try reader.bytes(field, "\(name).precompiled_charsmap")
            case 3: spec.addDummyPrefix = try reader.bool(field, "\(name).add_dummy_prefix")
            case 4: spec.removeExtraWhitespaces = try reader.bool(field, "\(name).remove_extra_whitespaces")
            case 5: spec.escapeWhitespaces = try reader.bool(field, "\(name).escape_whitespaces")
            case 6: spec.normalizationRuleTSV = try reader.string(field, "\(name).normalization_rule_tsv")
            default: try reader.skip(field)
            }
        }
    }

    // MARK: - Checks

    /// What SentencePiece itself refuses to load: empty or repeated pieces, an unknown piece that
    /// is missing or not at `unk_id`, special ids outside the vocabulary.
    private func validate() throws(TokenizerError) {
        var seen: [ArraySlice<UInt8>: Int] = [:]
        seen.reserveCapacity(pieces.count)
        for (id, piece) in pieces.enumerated() {
            guard !piece.text.isEmpty else {
                throw .invalidValue(path: path, field: "pieces[\(id)].piece", reason: "empty piece")
            }
            if let first = seen.updateValue(id, forKey: piece.text[...]) {
                throw .invalidValue(path: path, field: "pieces[\(id)].piece", reason: "'\(Self.show(piece.text))' is already piece \(first)")
            }
        }
        let unknown = pieces.indices.filter { pieces[$0].type == .unknown }
        guard unknown.count == 1, unknown[0] == Int(trainerSpec.unkID) else {
            throw .invalidValue(path: path, field: "trainer_spec.unk_id",
                                reason: "unk_id is \(trainerSpec.unkID) but the UNKNOWN pieces are \(unknown) (expected exactly that one)")
        }
        for (name, id) in [("bos_id", trainerSpec.bosID), ("eos_id", trainerSpec.eosID), ("pad_id", trainerSpec.padID)]
            where id < -1 || Int(id) >= pieces.count {
            throw .invalidValue(path: path, field: "trainer_spec.\(name)", reason: "\(id) is outside the \(pieces.count) pieces")
        }
    }

    static func show(_ text: [UInt8]) -> String { String(decoding: text, as: UTF8.self) }
}
