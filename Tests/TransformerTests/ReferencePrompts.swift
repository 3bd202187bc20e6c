import PyramidDrop
import TestSupport
import Transformer
import WeightIO

/// The two prompts of a tiny model fixture (Tests/Fixtures/models) whose generations have
/// references: `plain`, transformers' greedy prompt (`greedy_ids`), and `dropped`, 24 image
/// embeddings between text for PyramidDrop [1, 2, 3] λ 0.5 (the port's `pdrop_greedy`).
struct ReferencePrompts {
    let model: LlamaModel
    let expected: SafeTensorsFile
    let plain: TokenState
    let dropped: TokenState

    /// The prompts of fixture `name`, over the weights of fixture `weights` (default: the same;
    /// `llama-f16` and `llama-bf16` hold `llama`'s weights rounded).
    init(_ name: String, weights: String? = nil) throws {
        model = try ModelFixtures.languageModel(weights ?? name)
        expected = try ModelFixtures.expected(name)
        let prompt = try expected.tensor("greedy_prompt").integers
        plain = TokenState(hidden: try model.embed(prompt), isImage: Array(repeating: false, count: prompt.count))
        let range = try expected.tensor("image_range").integers
        let embeds = try expected.tensor("inputs_embeds").toFloat32()
        dropped = TokenState(hidden: embeds, isImage: (0..<embeds.shape[0]).map { $0 >= range[0] && $0 < range[1] })
    }

    /// The PyramidDrop generator the `dropped` references use.
    func pyramidDrop() throws -> Generator {
        try Generator(model: model, policy: PyramidDropPolicy(boundaries: [1, 2, 3], lambda: 0.5))
    }
}
