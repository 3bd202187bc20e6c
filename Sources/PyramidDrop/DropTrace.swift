/// What a prefill dropped: the image tokens kept at each stage and the tokens alive per layer.
public struct DropTrace: Sendable, Equatable {
    /// One stage boundary.
    public struct Stage: Sendable, Equatable {
        /// The boundary layer (0-based): the first layer that ran on the kept tokens.
        public let layer: Int
        /// Kept image tokens, as indices into the prompt's image tokens (0..<imageTokens), increasing.
        public let kept: [Int]
        /// Image tokens alive after the stage: `kept` plus the merged ones (and any standing for
        /// no original token, such as a kept [CLS] token).
        public let count: Int
        /// Original image tokens folded into merged tokens at this stage (a pre-decoder merge).
        public let merged: [Int]

        public init(layer: Int, kept: [Int], count: Int? = nil, merged: [Int] = []) {
            self.layer = layer
            self.kept = kept
            self.count = count ?? kept.count
            self.merged = merged
        }
    }

    /// Image tokens in the prompt (N).
    public let imageTokens: Int
    /// Prompt index of the first image token, if any.
    public let imageTokenStart: Int?
    /// Stages in order.
    public internal(set) var stages: [Stage] = []
    /// Tokens (text + image) each layer ran on.
    public internal(set) var tokensPerLayer: [Int] = []
    /// Image tokens each layer ran on.
    public internal(set) var imageTokensPerLayer: [Int] = []
}
