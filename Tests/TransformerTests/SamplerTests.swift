import Testing
import Transformer

@Suite struct SamplerTests {
    @Test func greedyTakesTheFirstMaximum() {
        var sampler = Sampler()
        #expect(sampler.sample([0.1, 3, -1, 3]) == 1)
        // Ids at or past the limit are never chosen.
        #expect(sampler.sample([0.1, 3, -1, 9], limit: 3) == 1)
    }

    @Test func seededSamplingIsReproducibleAndRespectsTopP() {
        let logits: [Float] = [2, 1.9, -5, 0.5, -1]
        var a = Sampler(temperature: 0.8, topP: 0.9, seed: 42)
        var b = Sampler(temperature: 0.8, topP: 0.9, seed: 42)
        let drawsA = (0..<200).map { _ in a.sample(logits) }
        #expect(drawsA == (0..<200).map { _ in b.sample(logits) })
        #expect(Set(drawsA) == [0, 1])   // probabilities ≈ .486, .429, .074, …: the 0.9 nucleus is {0, 1}
        #expect(Set(drawsA).count > 1)
        var tiny = Sampler(temperature: 1, topP: 0.01, seed: 1)
        #expect((0..<20).allSatisfy { _ in tiny.sample(logits) == 0 })
    }
}
