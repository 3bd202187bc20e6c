import Foundation
import Imaging
import LLaVA
import LLaVAConversion
import LLaVANeXT
import PyramidDrop
import Tensors
import TestSupport
import Testing
import Tokenizer
import Transformer
import WeightIO

/// Helpers shared by the conversion tests: convert a fixture into a scratch folder, run a
/// converted folder through the whole pipeline, compare tensors.
enum Conversion {
    static let llava = Fixtures.path("llava")
    static let next = Fixtures.path("llava-next")

    /// Converts `source` into `scratch/name` and returns the report.
    @discardableResult
    static func run(_ source: String, into scratch: TemporaryDirectory, _ name: String, layout: LLaVALayout,
                    dtype: DType? = nil, maxShardSize: ShardSize = .default) throws -> ConversionReport {
        try LLaVAConverter(source: source, options: ConversionOptions(layout: layout, dtype: dtype, maxShardSize: maxShardSize))
            .convert(to: scratch.path(name))
    }

    /// The prompt (one image slot) and prefill logits of a model folder for `question`
    /// about `image`, with no drops — what `pdrop run` does, from files.
    static func prefill(folder: String, image: String, template: PromptTemplate? = nil,
                        question: String = "What is shown in this picture?") throws -> (prompt: Prompt, logits: [Float], model: LLaVAModel) {
        let model = try LLaVAModel(folder: folder)
        let encoder: any ImageEncoder = model.config.aspectMode == .anyres ? try AnyResEncoder(model: model) : try SingleCropEncoder(model: model)
        let pipeline = LLaVAPipeline(model: model, tokenizer: try Tokenizer(folder: folder), encoder: encoder)
        let picture = try ImageDecoder(alpha: model.checkpoint.layout == .original ? .drop : .compositeOnWhite).decode(contentsOf: image)
        let text = try (template ?? model.checkpoint.defaultTemplate).render(question)
        let (prompt, state) = try pipeline.prompt(text: text, images: [picture])
        let wrapper = try PyramidWrapper(model: model.language, policy: KeepAllPolicy())
        let result = try Generator(model: model.language, wrapper: wrapper)
            .generate(prompt: state, options: GenerationOptions(maxNewTokens: 1, stopTokenIDs: []))
        return (prompt, result.prefillLogits, model)
    }

    /// Every tensor the plan wrote, read back from the destination.
    static func written(_ report: ConversionReport) throws -> [(recipe: TensorRecipe, tensor: Tensor)] {
        try report.plan.folders.flatMap { folder -> [(recipe: TensorRecipe, tensor: Tensor)] in
            let store = try WeightStore(path: folder.relativePath.isEmpty ? report.destination : report.destination + "/" + folder.relativePath)
            #expect(Set(store.names) == Set(folder.tensors.map(\.name)))
            return try folder.tensors.map { ($0, try store.tensor($0.name)) }
        }
    }

    /// All tensors of a model folder (and of its `vision_tower` CLIP folder, prefixed so) by name.
    static func tensors(of folder: String) throws -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        let store = try WeightStore(path: folder)
        for name in store.names { result[name] = try store.tensor(name) }
        let tower = folder + "/" + ConversionPlan.visionTowerFolder
        if FileManager.default.fileExists(atPath: tower) {
            let clip = try WeightStore(path: tower)
            for name in clip.names { result["clip:" + name] = try clip.tensor(name) }
        }
        return result
    }

    /// The first `rows` rows' bytes of a tensor (all of it when `rows` is nil).
    static func bytes(_ tensor: Tensor, rows: Int? = nil) -> [UInt8] {
        let all = tensor.rawBytes
        guard let rows else { return Array(all) }
        return Array(all[0..<(all.count / tensor.shape[0] * rows)])
    }
}
