/// The `post_processor` section: `TemplateProcessing` (LLaMA's `"<s> $A"`), `ByteLevel` (Qwen2's:
/// it only trims offsets, so it adds and changes no ids), a `Sequence` of them, or `null` (nothing
/// added).
struct PostProcessor: Sendable {
    /// One element of the single-sequence template.
    enum Piece: Sendable {
        /// The encoded text.
        case sequence
        /// A special token's ids and token strings.
        case special(ids: [Int32], tokens: [[UInt8]])
    }

    /// The templates, applied in turn.
    let templates: [[Piece]]

    init(templates: [[Piece]]) {
        self.templates = templates
    }

    init(_ node: JSONNode) throws(TokenizerError) {
        let type = try node.componentType()
        switch type {
        case "TemplateProcessing":
            templates = [try Self.template(node)]
        case "ByteLevel":
            templates = []
        case "Sequence":
            var all: [[Piece]] = []
            for item in try node.require("processors").asArray {
                switch try item.componentType() {
                case "TemplateProcessing": all.append(try Self.template(item))
                case "ByteLevel": continue
                case let itemType:
                    throw .unsupported(path: item.file, field: item.fieldPath("type"), value: "post-processor '\(itemType)' (implemented: TemplateProcessing, ByteLevel, Sequence)")
                }
            }
            templates = all
        default:
            throw .unsupported(path: node.file, field: node.fieldPath("type"), value: "post-processor '\(type)' (implemented: TemplateProcessing, ByteLevel, Sequence)")
        }
    }

    private static func template(_ node: JSONNode) throws(TokenizerError) -> [Piece] {
        let specials = try node.require("special_tokens")
        var pieces: [Piece] = []
        for item in try node.require("single").asArray {
            if let sequence = item.member("Sequence") {
                let id = try sequence.require("id").asString
                guard id == "A" else {
                    throw .unsupported(path: node.file, field: sequence.fieldPath("id"), value: "sequence '\(id)' in the single-sequence template")
                }
                pieces.append(.sequence)
            } else if let special = item.member("SpecialToken") {
                let name = try special.require("id").asString
                guard let entry = specials.member(name) else {
                    throw .invalidValue(path: node.file, field: special.fieldPath("id"), reason: "'\(name)' is not in \(specials.path)")
                }
                var ids: [Int32] = []
                for id in try entry.require("ids").asArray { ids.append(Int32(clamping: try id.asInt)) }
                var tokens: [[UInt8]] = []
                for token in try entry.require("tokens").asArray { tokens.append(Array(try token.asString.utf8)) }
                guard ids.count == tokens.count else {
                    throw .invalidValue(path: node.file, field: entry.path, reason: "\(ids.count) ids but \(tokens.count) tokens")
                }
                pieces.append(.special(ids: ids, tokens: tokens))
            } else {
                throw .invalidValue(path: node.file, field: item.path, reason: "expected {\"Sequence\": …} or {\"SpecialToken\": …}")
            }
        }
        return pieces
    }

    /// The first template's leading and the last template's trailing special token, if any (the
    /// BOS and EOS the file adds).
    var leadingToken: Int32? {
        if case let .special(ids, _)? = templates.first?.first { return ids.first }
        return nil
    }
    var trailingToken: Int32? {
        if case let .special(ids, _)? = templates.last?.last { return ids.last }
        return nil
    }

    /// Applies the templates to an encoding (`tokens` may be empty when the caller does not want
    /// token strings). Without special tokens, only the template's `$A` pieces remain.
    func process(_ ids: inout [Int32], _ tokens: inout [[UInt8]], addSpecialTokens: Bool, collectTokens: Bool) {
        for template in templates {
            if template.count == 1, case .sequence = template[0] { continue }  // just "$A"
            var newIDs: [Int32] = []
            var newTokens: [[UInt8]] = []
            newIDs.reserveCapacity(ids.count + template.count)
            for piece in template {
                switch piece {
                case .sequence:
                    newIDs.append(contentsOf: ids)
                    if collectTokens { newTokens.append(contentsOf: tokens) }
                case let .special(specialIDs, specialTokens):
                    guard addSpecialTokens else { continue }
                    newIDs.append(contentsOf: specialIDs)
                    if collectTokens { newTokens.append(contentsOf: specialTokens) }
                }
            }
            ids = newIDs
            tokens = newTokens
        }
    }
}
