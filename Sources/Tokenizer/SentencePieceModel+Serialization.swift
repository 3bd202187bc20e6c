extension SentencePieceModel {
    /// The bytes of a `tokenizer.model` (`ModelProto`) holding `pieces` in id order with the
    /// given specs — the fields `init(path:)` reads, in field-number order as sentencepiece
    /// writes them.
    static func serialized(pieces: [Piece], trainerSpec: TrainerSpec, normalizerSpec: NormalizerSpec) -> [UInt8] {
        var writer = ProtobufWriter()
        for piece in pieces {
            writer.message(1) { message in
                message.bytes(1, piece.text)
                message.float(2, piece.score)
                message.int32(3, piece.type.rawValue)
            }
        }
        writer.message(2) { spec in
            spec.int32(3, trainerSpec.modelType)
            spec.bool(24, trainerSpec.treatWhitespaceAsSuffix)
            spec.bool(35, trainerSpec.byteFallback)
            spec.int32(40, trainerSpec.unkID)
            spec.int32(41, trainerSpec.bosID)
            spec.int32(42, trainerSpec.eosID)
            spec.int32(43, trainerSpec.padID)
        }
        writer.message(3) { spec in
            spec.bytes(1, normalizerSpec.name)
            spec.bool(3, normalizerSpec.addDummyPrefix)
            spec.bool(4, normalizerSpec.removeExtraWhitespaces)
            spec.bool(5, normalizerSpec.escapeWhitespaces)
        }
        return writer.bytes
    }
}
