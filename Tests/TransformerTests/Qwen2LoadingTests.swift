import Tensors
import TestSupport
import Testing
import Transformer
import WeightIO

/// Loading the tiny Qwen2 fixture: biases where Qwen2 has them, and a tied head that is the
/// embedding table itself (one buffer), also when a checkpoint stores an equal copy.
@Suite struct Qwen2LoadingTests {
    @Test func biasesOnQueryKeyValueOnly() throws {
        for layer in try ModelFixtures.languageModel("qwen2").layers {
            #expect(layer.qProj.bias != nil && layer.kProj.bias != nil && layer.vProj.bias != nil)
            #expect(layer.oProj.bias == nil && layer.gateProj.bias == nil && layer.upProj.bias == nil && layer.downProj.bias == nil)
        }
    }

    @Test func tiedHeadIsTheEmbeddingTable() throws {
        #expect(!(try WeightStore(path: ModelFixtures.model("qwen2"))).contains("lm_head.weight"))
        let model = try ModelFixtures.languageModel("qwen2")
        #expect(model.lmHead.rawBytes.baseAddress == model.embedTokens.rawBytes.baseAddress)
    }

    /// A stored `lm_head` equal to the table is not held twice; a different one is the head, as
    /// transformers leaves such a checkpoint untied.
    @Test(arguments: [true, false])
    func storedHeadCopy(equal: Bool) throws {
        let source = try WeightStore(path: ModelFixtures.model("qwen2"))
        let embeddings = try source.tensor("model.embed_tokens.weight")
        let head = equal ? embeddings : Tensor(shape: embeddings.shape, values: embeddings.floats.map { -$0 })
        let folder = try TemporaryDirectory("qwen2-head")
        let tensors = try source.names.map { (name: $0, tensor: try source.tensor($0)) } + [(name: "lm_head.weight", tensor: head)]
        try SafeTensorsWriter.write(tensors, to: folder.path("model.safetensors"))
        let config = try LlamaConfig(json: ModelFixtures.config("qwen2"), source: "qwen2")
        let model = try LlamaModel(WeightStore(path: folder.path), config: config, compute: .f32)
        #expect((model.lmHead.rawBytes.baseAddress == model.embedTokens.rawBytes.baseAddress) == equal)
        #expect(model.lmHead.floats == head.floats)
    }
}
