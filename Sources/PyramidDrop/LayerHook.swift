/// A point in the decoder where a token policy acts, and what it needs from the layer there.
public struct LayerHook: Sendable, Equatable {
    /// When the policy acts relative to `layer`.
    public enum Timing: Sendable, Equatable {
        /// Before `layer` runs, ranking with the layer's own Q/K (`DecoderLayer.attention(of:in:)`)
        /// on the state it is about to receive (PyramidDrop).
        case beforeLayer
        /// After `layer` ran, from what that pass computed (`DecoderLayer.forward(_:cache:observing:)`):
        /// FastV reads the attention row layer K − 1 used, DART the keys of layer K.
        case afterLayer
    }

    /// The 0-based layer the hook is attached to.
    public let layer: Int
    public let timing: Timing
    /// What the policy reads at this hook.
    public let needs: LayerNeeds

    public init(layer: Int, timing: Timing, needs: LayerNeeds) {
        self.layer = layer
        self.timing = timing
        self.needs = needs
    }

    /// A hook before `layer` runs.
    public static func before(_ layer: Int, needs: LayerNeeds) -> LayerHook { LayerHook(layer: layer, timing: .beforeLayer, needs: needs) }
    /// A hook after `layer` ran.
    public static func after(_ layer: Int, needs: LayerNeeds) -> LayerHook { LayerHook(layer: layer, timing: .afterLayer, needs: needs) }

    /// The first layer that runs on the kept tokens (the trace's stage layer).
    public var firstKeptLayer: Int { timing == .beforeLayer ? layer : layer + 1 }
}

/// What a policy sees at one of its hooks.
public struct HookContext: Sendable {
    /// 0-based index of the hook among the policy's hooks (the stage).
    public let stage: Int
    /// Image tokens that entered the decoder (keep budgets are relative to this count).
    public let imageTokens: Int
    /// What the layer computed, as the hook's `needs` asked.
    public let evidence: LayerEvidence
    /// Image tokens of each prompt image that entered the decoder (`TokenOrigin.image`; nil
    /// collects tokens without one).
    public let imageTokensByImage: [Int?: Int]

    public init(stage: Int, imageTokens: Int, evidence: LayerEvidence, imageTokensByImage: [Int?: Int] = [:]) {
        self.stage = stage
        self.imageTokens = imageTokens
        self.evidence = evidence
        self.imageTokensByImage = imageTokensByImage
    }

    /// The context a policy sees when it ranks image `image` alone: its own entering count.
    public func focused(on image: Int?) -> HookContext {
        HookContext(stage: stage, imageTokens: imageTokensByImage[image] ?? 0, evidence: evidence, imageTokensByImage: imageTokensByImage)
    }
}
