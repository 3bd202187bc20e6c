import Tensors
import TestSupport
import Testing
import Transformer
import WeightIO

/// Parity with transformers' `CLIPVisionModel` (tiny random, 3 layers, 28×28 image, 7×7 patches)
/// and the LLaVA projector computed in torch.
@Suite struct CLIPParityTests {
    static func encoder(featureLayer: Int, selection: CLIPVisionEncoder.FeatureSelection) throws -> CLIPVisionEncoder {
        let store = try WeightStore(path: ModelFixtures.model("clip") + "/model.safetensors")
        let config = try CLIPVisionConfig(json: ModelFixtures.config("clip"), source: "clip/config.json")
        return try CLIPVisionEncoder(store, prefix: "", config: config, featureLayer: featureLayer, selection: selection)
    }

    /// Hidden state at `vision_feature_layer` −2 (class token included): max |Δ| ≤ 1e-4.
    @Test func featureLayerMinusTwo() throws {
        let expected = try ModelFixtures.expected("clip")
        let encoder = try Self.encoder(featureLayer: -2, selection: .full)
        #expect(encoder.layers.count == 2)
        let features = encoder(try expected.tensor("pixel_values").toFloat32())
        let reference = try expected.tensor("hidden_minus_2")
        #expect(features.shape == reference.shape)
        #expect(maxAbsDiff(features.floats, reference.floats) <= 1e-4)
        // The last layer too, via a non-negative index.
        let last = try Self.encoder(featureLayer: 3, selection: .full)(try expected.tensor("pixel_values").toFloat32())
        #expect(maxAbsDiff(last.floats, try expected.tensor("hidden_last").floats) <= 1e-4)
    }

    /// `default` selection drops the class token; the projector (exact GELU) matches torch.
    @Test func patchFeaturesThroughProjector() throws {
        let expected = try ModelFixtures.expected("clip")
        let features = try Self.encoder(featureLayer: -2, selection: .patches)(try expected.tensor("pixel_values").toFloat32())
        #expect(features.shape == [16, 32])
        let store = try WeightStore(path: ModelFixtures.model("clip") + "/projector.safetensors")
        let projector = try MLPProjector(store, first: "linear_1", second: "linear_2", visionHidden: 32, textHidden: 48)
        let projected = projector(features)
        #expect(maxAbsDiff(projected.floats, try expected.tensor("projected").floats) <= 1e-4)
    }

    /// A tower rebuilt from the loaded one's parts through the memberwise inits computes the
    /// same features, bit for bit.
    @Test func memberwiseInitsRebuildTheTower() throws {
        let expected = try ModelFixtures.expected("clip")
        let loaded = try Self.encoder(featureLayer: -2, selection: .full)
        let layers = loaded.layers.map {
            CLIPEncoderLayer(layerNorm1: $0.layerNorm1, layerNorm2: $0.layerNorm2, qProj: $0.qProj, kProj: $0.kProj, vProj: $0.vProj,
                             outProj: $0.outProj, fc1: $0.fc1, fc2: $0.fc2, config: $0.config)
        }
        let rebuilt = CLIPVisionEncoder(config: loaded.config, classEmbedding: loaded.classEmbedding, patchEmbedding: loaded.patchEmbedding,
                                        positionEmbedding: loaded.positionEmbedding, preLayerNorm: loaded.preLayerNorm, layers: layers,
                                        selection: .full)
        let pixels = try expected.tensor("pixel_values").toFloat32()
        #expect(rebuilt(pixels).floats == loaded(pixels).floats)
        #expect(rebuilt.layers.count == 2)
    }

    @Test func featureLayerOutOfRangeIsAnError() throws {
        #expect(throws: TransformerError.self) { try Self.encoder(featureLayer: -5, selection: .patches) }
    }
}
