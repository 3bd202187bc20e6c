import PyramidDrop
import Tensors
import Transformer

/// One synthetic image for the pre-decoder policies in `pdrop bench`: `crops` tower crops of the
/// preset's CLIP shape (feature-layer outputs, keys and a softmax [CLS] attention row per head,
/// all deterministic random) and a projector of the model's shape, so the policies' scoring,
/// merging and projection run at real sizes. More than one crop is a base crop plus a row of tiles.
struct SyntheticImage {
    let tokens: ImageTokens

    init(vision: CLIPVisionConfig, textHidden: Int, crops: Int, dtype: DType, compute: ComputePath) {
        var weights = SyntheticWeights(seed: 2000)
        let d = vision.hiddenSize, patches = vision.patchCount, heads = vision.headCount
        let projector = MLPProjector(
            linear1: Linear(weight: weights.matrix(textHidden, d, dtype: dtype), bias: weights.uniform([textHidden], scale: 0.02), compute: compute),
            linear2: Linear(weight: weights.matrix(textHidden, textHidden, dtype: dtype), bias: weights.uniform([textHidden], scale: 0.02), compute: compute))
        let towerCrops = (0..<crops).map { c in
            var attention = weights.uniform([heads, patches + 1], scale: 4)
            attention.withMutableFloats { p in
                for h in 0..<heads { Softmax.inPlace(p.baseAddress! + h * (patches + 1), count: patches + 1) }
            }
            return TowerCrop(hidden: weights.uniform([patches + 1, d], scale: 1), classAttention: attention,
                             keys: weights.uniform([patches + 1, d], scale: 1), heads: heads,
                             patchSources: (0..<patches).map { c * patches + $0 })
        }
        let features = projector(Tensor(concatenatingRows: towerCrops.map { $0.hidden.gatherRows(Array(1...patches)) }, width: d))
        tokens = ImageTokens(features: features, crops: towerCrops,
                             layout: crops == 1 ? .single : .grid(rows: 1, columns: crops - 1, side: vision.gridSize),
                             project: { projector($0) })
    }
}
