import Tensors
import TestSupport
import Testing
import Transformer
import WeightIO

/// Parity with transformers' `SiglipVisionModel` (tiny random, 3 layers, 28×28 image, 7×7 patches,
/// `gelu_pytorch_tanh`; tensors under `vision_model.`, the pooling head's among them, unused).
@Suite struct SiglipParityTests {
    static func config() throws -> SiglipVisionConfig {
        try SiglipVisionConfig(json: ModelFixtures.config("siglip"), source: "siglip/config.json")
    }

    static func encoder(featureLayer: Int, postLayerNorm: Bool = false, config: SiglipVisionConfig? = nil) throws -> SiglipVisionEncoder {
        let store = try WeightStore(path: ModelFixtures.model("siglip") + "/model.safetensors")
        return try SiglipVisionEncoder(store, prefix: "vision_model.", config: config ?? Self.config(), featureLayer: featureLayer,
                                       postLayerNorm: postLayerNorm)
    }

    static func pixels(_ name: String = "pixel_values") throws -> Tensor {
        try ModelFixtures.expected("siglip").tensor(name).toFloat32()
    }

    /// `hidden_states[-1]`, `[-2]` and `[0]` (never through post_layernorm), every patch:
    /// max |Δ| ≤ 1e-4, running only the layers each needs.
    @Test(arguments: [(-1, "hidden_minus_1", 3), (-2, "hidden_minus_2", 2), (3, "hidden_minus_1", 3), (0, "hidden_0", 0)])
    func featureLayers(layer: Int, reference: String, layersRun: Int) throws {
        let encoder = try Self.encoder(featureLayer: layer)
        #expect(encoder.layers.count == layersRun && encoder.postLayerNorm == nil)
        let features = encoder(try Self.pixels())
        let expected = try ModelFixtures.expected("siglip").tensor(reference)
        #expect(features.shape == [16, 32] && features.shape == expected.shape)
        #expect(maxAbsDiff(features.floats, expected.floats) <= 1e-4)
    }

    /// A list `vision_feature_layer` ([0, -2, -1]): transformers' hidden states side by side
    /// (`torch.cat(hs_pool, dim=-1)`), the keys still the last layer run's.
    @Test func severalFeatureLayers() throws {
        let store = try WeightStore(path: ModelFixtures.model("siglip") + "/model.safetensors")
        let encoder = try SiglipVisionEncoder(store, prefix: "vision_model.", config: Self.config(), featureLayers: [0, -2, -1])
        #expect(encoder.layers.count == 3 && encoder.featureStates == [0, 2, 3] && encoder.featureWidth == 96)
        let observed = encoder.observe(try Self.pixels(), needs: .towerKeys)
        let expected = try ModelFixtures.expected("siglip")
        let reference = Tensor(concatenatingColumns: try ["hidden_0", "hidden_minus_2", "hidden_minus_1"].map { try expected.tensor($0).toFloat32() })
        #expect(observed.hidden.shape == [16, 96])
        #expect(maxAbsDiff(observed.hidden.floats, reference.floats) <= 1e-4)
        #expect(maxAbsDiff(try #require(observed.keys).floats, try expected.tensor("keys_minus_1").floats) <= 1e-4)
        #expect(throws: TransformerError.self) {
            try SiglipVisionEncoder(store, prefix: "vision_model.", config: Self.config(), featureLayers: [])
        }
    }

    /// `last_hidden_state`: the last layer through post_layernorm; refused for another layer.
    @Test func lastHiddenStateThroughPostLayerNorm() throws {
        let features = try Self.encoder(featureLayer: -1, postLayerNorm: true)(try Self.pixels())
        #expect(maxAbsDiff(features.floats, try ModelFixtures.expected("siglip").tensor("last_hidden_state").floats) <= 1e-4)
        #expect(throws: TransformerError.invalidConfig(source: "vision_model.", field: "vision_feature_layer",
                                                       reason: "post_layernorm follows the last layer, not hidden states [-2]")) {
            try Self.encoder(featureLayer: -2, postLayerNorm: true)
        }
    }

    /// `observe` returns the feature layer's output, its k_proj output (as a hook on transformers'
    /// k_proj records it) and no class attention: SigLIP has no class token.
    @Test(arguments: [(-1, "keys_minus_1"), (-2, "keys_minus_2")])
    func observedKeysMatchTheKProjHook(layer: Int, reference: String) throws {
        let encoder = try Self.encoder(featureLayer: layer)
        let pixels = try Self.pixels()
        let (hidden, classAttention, keys) = encoder.observe(pixels, needs: [.towerFeatures, .classAttention, .towerKeys])
        #expect(classAttention == nil)
        #expect(hidden.floats == encoder(pixels).floats)
        let expected = try ModelFixtures.expected("siglip").tensor(reference)
        #expect(keys?.shape == expected.shape)
        #expect(maxAbsDiff(try #require(keys).floats, expected.floats) <= 1e-4)
        #expect(encoder.observe(pixels, needs: [.towerFeatures]).keys == nil)
        #expect(try Self.encoder(featureLayer: 0).observe(pixels, needs: .towerKeys).keys == nil)
    }

    /// A patch that does not divide the image (7 of 30, as 14 of 384): the 4 × 4 grid leaves the
    /// last 2 rows and columns unseen, as transformers' convolution does.
    @Test func patchesNeedNotDivideTheImage() throws {
        var config = try Self.config()
        config.imageSize = 30
        try config.validate(source: "siglip/config.json")
        #expect(config.gridSize == 4)
        let features = try Self.encoder(featureLayer: -1, config: config)(try Self.pixels("pixel_values_30"))
        #expect(maxAbsDiff(features.floats, try ModelFixtures.expected("siglip").tensor("hidden_minus_1_30").floats) <= 1e-4)
    }

    /// A tower rebuilt from the loaded one's parts through the memberwise inits computes the
    /// same features, bit for bit.
    @Test func memberwiseInitsRebuildTheTower() throws {
        let loaded = try Self.encoder(featureLayer: -1, postLayerNorm: true)
        let layers = loaded.layers.map {
            SiglipEncoderLayer(layerNorm1: $0.layerNorm1, layerNorm2: $0.layerNorm2, qProj: $0.qProj, kProj: $0.kProj, vProj: $0.vProj,
                               outProj: $0.outProj, fc1: $0.fc1, fc2: $0.fc2, config: $0.config)
        }
        let rebuilt = SiglipVisionEncoder(config: loaded.config, patchEmbedding: loaded.patchEmbedding,
                                          positionEmbedding: loaded.positionEmbedding, layers: layers, postLayerNorm: loaded.postLayerNorm)
        let pixels = try Self.pixels()
        #expect(rebuilt(pixels).floats == loaded(pixels).floats)
    }

    @Test func featureLayerOutOfRangeIsAnError() throws {
        #expect(throws: TransformerError.invalidConfig(source: "vision_model.", field: "vision_feature_layer",
                                                       reason: "-5 is outside the 4 hidden states")) {
            try Self.encoder(featureLayer: -5)
        }
        #expect(throws: TransformerError.self) { try Self.encoder(featureLayer: 4) }
    }
}
