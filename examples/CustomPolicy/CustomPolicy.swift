// Write a token policy of your own: one type, one method. This one keeps, before the decoder, the
// image patches whose [CLS] attention in the vision tower is highest in each quarter of the image
// (a spatially balanced FasterVLM), then PyramidDrop prunes inside the decoder.
// Usage: swift run CustomPolicy [MODEL_FOLDER IMAGE [PER_QUARTER]]
import Imaging
import LLaVA
import PyramidDrop
import Tensors
import Tokenizer
import Transformer

/// Per quarter of a square crop, the `perQuarter` patches the class token attends to most.
struct BalancedCLSPolicy: TokenPolicy {
    let perQuarter: Int
    let name = "balanced-cls"
    var placement: PolicyPlacement { .beforeDecoder }
    var visionNeeds: VisionNeeds { [.towerFeatures, .classAttention] }

    func selectImageTokens(_ image: ImageTokens) throws -> ImageSelection {
        guard let crop = image.crops.first, let attention = crop.classAttention, let project = image.project else {
            throw PyramidDropError.missingEvidence(policy: name, what: "the tower's [CLS] attention")
        }
        let side = Int(Double(crop.patchCount).squareRoot()), row = attention.floats
        func score(_ p: Int) -> Float { (0..<crop.heads).reduce(0) { $0 + row[$1 * (crop.patchCount + 1) + 1 + p] } }
        var kept: [Int] = []
        for quarter in 0..<4 {
            let patches = (0..<crop.patchCount).filter { ($0 / side >= side / 2 ? 2 : 0) + ($0 % side >= side / 2 ? 1 : 0) == quarter }
            kept += patches.sorted { score($0) > score($1) }.prefix(perQuarter)
        }
        kept.sort()
        return ImageSelection(features: project(crop.hidden.gatherRows(kept.map { $0 + 1 })),   // row 0 is [CLS]
                              sources: kept.map { crop.patchSources[$0] }, originalCount: image.count)
    }
}

@main struct CustomPolicy {
    static func main() throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let folder = arguments.count > 0 ? arguments[0] : "Tests/Fixtures/llava/tiny-llava-hf"
        let image = try ImageDecoder(alpha: .compositeOnWhite).decode(contentsOf: arguments.count > 1 ? arguments[1] : "Tests/Fixtures/llava/sample.png")
        let model = try LLaVAModel(folder: folder)
        let pipeline = LLaVAPipeline(model: model, tokenizer: try Tokenizer(folder: folder), encoder: try SingleCropEncoder(model: model))
        let mine = BalancedCLSPolicy(perQuarter: arguments.count > 2 ? Int(arguments[2]) ?? 4 : 4)
        let policy = try ComposedPolicy(mine, then: try PyramidDropPolicy(boundaries: [2, 4, 6], lambda: 0.5))
        let text = try model.checkpoint.defaultTemplate.render("What is shown in this picture?")
        let (_, state) = try pipeline.prompt(text: text, images: [image], policy: policy)
        let result = try Generator(model: model.language, policy: policy)
            .generate(prompt: state, options: GenerationOptions(maxNewTokens: 8, stopTokenIDs: pipeline.stopTokenIDs))
        let counts = [result.trace.imageTokens] + result.trace.stages.map(\.count)
        print("\(policy.name): image tokens \(counts.map(String.init).joined(separator: " → ")); answer: \(pipeline.tokenizer.decode(result.tokens))")
    }
}
