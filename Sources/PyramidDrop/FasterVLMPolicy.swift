import Tensors

/// FasterVLM (Zhang et al., "[CLS] Attention is All You Need for Training-Free Visual Token
/// Pruning", 2024), following `Theia-4869/FasterVLM` at f5d5f12: `llava/model/multimodal_encoder/
/// clip_encoder.py` (`CLIPVisionTower.feature_select`, `forward`: the feature layer's attention
/// probabilities, [CLS] query row over the patch columns) and `llava/model/llava_arch.py`
/// (`encode_images`: mean over heads, `topk(visual_token_num)` scattered into a mask;
/// `prepare_inputs_labels_for_multimodal`: per crop on LLaVA-NeXT, the 'spatial' merge).
///
/// Before the projector, each crop keeps the `budget` patches its [CLS] token attends to most
/// (ties to the lower patch), in patch order. On LLaVA-NeXT every crop keeps `budget` (the base
/// crop's first, then the tiles' in raster order over the stitched grid, no unpadding and no
/// `image_newline`, as the official code packs them).
public struct FasterVLMPolicy: TokenPolicy {
    /// Patches kept per crop (the official `--visual-token-num`).
    public let budget: Int
    public let name = "fastervlm"
    public var placement: PolicyPlacement { .beforeDecoder }
    public var visionNeeds: VisionNeeds { [.towerFeatures, .classAttention] }
    public var parameters: [String: Double] { ["budget": Double(budget)] }

    public init(budget: Int) throws {
        guard budget >= 1 else { throw PyramidDropError.invalidBudget(policy: "fastervlm", reason: "budget \(budget) must be at least 1 patch per crop") }
        self.budget = budget
    }

    public func selectImageTokens(_ image: ImageTokens) throws -> ImageSelection {
        let (crops, project) = try CropSelection.crops(of: image, policy: name)
        if let crop = crops.first(where: { $0.patchCount < budget }) {
            throw PyramidDropError.invalidBudget(policy: name, reason: "budget \(budget) is more than the \(crop.patchCount) patches of a crop")
        }
        let kept = crops.map { topIndices(CropSelection.classScores($0, mean: true), count: budget) }
        var order = kept[0].map { (crop: 0, patch: $0) }
        if case .grid(let rows, let columns, let side) = image.layout {
            order += CropSelection.stitchedOrder(kept.dropFirst().map(Set.init), rows: rows, columns: columns, side: side)
        }
        let features = project(CropSelection.gather(crops, order.map { ($0.crop, 1 + $0.patch) }))
        return ImageSelection(features: features, sources: order.map { crops[$0.crop].patchSources[$0.patch] }, originalCount: image.count)
    }
}
