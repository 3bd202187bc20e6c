/// How one checkpoint layout names tensors, as data: a table of rules between a canonical name
/// and the layout's stored name, used in both directions.
///
/// Canonical names follow the modules of transformers' LLaVA classes, independent of any file:
/// - `language_model.` + the LLaMA body (`embed_tokens.weight`, `layers.{i}.…`, `norm.weight`)
/// - `lm_head.weight`
/// - `multi_modal_projector.linear_1.` / `multi_modal_projector.linear_2.` (`weight`, `bias`)
/// - `vision_tower.` + the CLIP vision model (`embeddings.…`, `encoder.layers.{i}.…`, `pre_layrnorm.…`)
/// - `image_newline` (LLaVA-NeXT)
///
/// A rule whose names end in `.` maps a prefix; otherwise it maps one exact name. Reading picks
/// the rule with the longest matching stored name (an exact rule wins over a prefix of the same
/// length); writing picks the longest matching canonical name among the writable rules.
public struct TensorNameMap: Sendable {
    /// One row of the table.
    public struct Rule: Sendable, Equatable {
        /// The canonical name or prefix; `nil` for a stored prefix the converter refuses (a
        /// tensor there has no canonical meaning, such as another projector type).
        public let canonical: String?
        /// The layout's stored name or prefix.
        public let stored: String
        /// Whether writing uses this rule (aliases accepted on reading only are not).
        public let writable: Bool

        public init(_ canonical: String?, _ stored: String, writable: Bool = true) {
            self.canonical = canonical
            self.stored = stored
            self.writable = writable && canonical != nil
        }

        var isPrefix: Bool { stored.hasSuffix(".") }
    }

    /// What a stored name means.
    public enum Reading: Sendable, Equatable {
        /// The canonical name.
        case canonical(String)
        /// Under a prefix the layout refuses (`Rule.canonical == nil`).
        case refused(prefix: String)
        /// No rule matches.
        case unknown
    }

    /// The table, in the order it was written.
    public let rules: [Rule]

    public init(_ rules: [Rule]) {
        self.rules = rules
    }

    /// The canonical meaning of a stored name.
    public func read(_ stored: String) -> Reading {
        var best: (rule: Rule, length: Int, exact: Bool)?
        for rule in rules {
            let matches = rule.isPrefix ? stored.hasPrefix(rule.stored) : stored == rule.stored
            guard matches else { continue }
            let length = rule.stored.utf8.count, exact = !rule.isPrefix
            if let current = best, current.length > length || (current.length == length && current.exact) { continue }
            best = (rule, length, exact)
        }
        guard let rule = best?.rule else { return .unknown }
        guard let canonical = rule.canonical else { return .refused(prefix: rule.stored) }
        return .canonical(rule.isPrefix ? canonical + stored.dropFirst(rule.stored.count) : canonical)
    }

    /// The canonical name of a stored name, if a rule gives one.
    public func canonical(for stored: String) -> String? {
        if case .canonical(let name) = read(stored) { return name }
        return nil
    }

    /// The stored name this layout writes for a canonical name, if a rule gives one.
    public func stored(for canonical: String) -> String? {
        var best: (rule: Rule, length: Int)?
        for rule in rules where rule.writable {
            guard let key = rule.canonical else { continue }
            let matches = rule.isPrefix ? canonical.hasPrefix(key) : canonical == key
            guard matches, (best?.length ?? -1) < key.utf8.count else { continue }
            best = (rule, key.utf8.count)
        }
        guard let rule = best?.rule, let key = rule.canonical else { return nil }
        return rule.isPrefix ? rule.stored + canonical.dropFirst(key.count) : rule.stored
    }
}
