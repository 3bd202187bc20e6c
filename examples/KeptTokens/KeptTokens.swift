// Run a LLaVA model with PyramidDrop on an image and draw which patches survived each stage.
// Usage: swift run KeptTokens [MODEL_FOLDER IMAGE OUTPUT.png]
// (default: the shipped tiny LLaVA-1.5 and sample image, writing kept-tokens.png).
import Imaging
import LLaVA
import LLaVANeXT
import PyramidDrop
import Tokenizer
import Transformer
import WeightIO

@main struct KeptTokens {
    static func main() throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let folder = arguments.count > 0 ? arguments[0] : "Tests/Fixtures/llava/tiny-llava-hf"
        let imagePath = arguments.count > 1 ? arguments[1] : "Tests/Fixtures/llava/sample.jpg"
        let output = arguments.count > 2 ? arguments[2] : "kept-tokens.png"

        // The model, its tokenizer and its image encoder (LLaVA-NeXT checkpoints tile the image).
        let model = try LLaVAModel(folder: folder)
        let encoder: any ImageEncoder = model.config.aspectMode == .anyres ? try AnyResEncoder(model: model) : try SingleCropEncoder(model: model)
        let pipeline = LLaVAPipeline(model: model, tokenizer: try Tokenizer(folder: folder), encoder: encoder)

        // The prompt with the image features in place, then a PyramidDrop prefill.
        let image = try ImageDecoder(alpha: .compositeOnWhite).decode(contentsOf: imagePath)
        let (_, prompt) = try pipeline.prompt(text: try model.checkpoint.defaultTemplate.render("Describe the image."), images: [image])
        let policy = try PyramidDropPolicy(boundaries: PyramidDropPolicy.quarterPoints(layerCount: model.language.layers.count), lambda: 0.5)
        let wrapper = try PyramidWrapper(model: model.language, policy: policy)
        var caches = wrapper.makeCaches()
        let (_, trace) = try wrapper.prefill(prompt, caches: &caches)

        // One column per stage: every token first, then the survivors of each drop.
        let map = KeptTokenMap.render(encoder.geometry(for: image), stages: trace.stages.map(\.kept))
        try FileBytes.writeAtomically(try map.pngData(), to: output)
        print("kept \(([trace.imageTokens] + trace.stages.map(\.count)).map(String.init).joined(separator: " → ")) image tokens; wrote \(output)")
    }
}
