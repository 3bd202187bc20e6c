import Foundation
import PyramidDrop
import Testing

/// The paper's FLOPs (§4.1, per layer 4nd² + 2n²d + 3ndm over image tokens), to 3 significant digits.
@Suite struct FLOPsModelTests {
    static let llava7B = FLOPsModel(hiddenSize: 4096, intermediateSize: 11008)

    static func tera(_ flops: Double, digits: Int = 3) -> Double {
        let t = flops / 1e12
        let scale = pow(10, Double(digits - 1 - Int(log10(t).rounded(.down))))
        return (t * scale).rounded() / scale
    }

    @Test func llava15() throws {
        let m = Self.llava7B
        #expect(Self.tera(m.paperFLOPs(schedule: .none, layerCount: 32, imageTokens: 576)) == 3.82)
        #expect(Self.tera(m.paperFLOPs(schedule: try .pyramid(boundaries: [8, 16, 24], lambda: 0.5), layerCount: 32, imageTokens: 576)) == 1.78)
        #expect(Self.tera(m.paperFLOPs(schedule: try .fastV(k: 2, dropRatio: 0.5), layerCount: 32, imageTokens: 576)) == 2.01)
    }

    @Test func llavaNeXT() throws {
        let m = Self.llava7B
        #expect(Self.tera(m.paperFLOPs(schedule: .none, layerCount: 32, imageTokens: 2880)) == 20.8)
        #expect(Self.tera(m.paperFLOPs(schedule: try .pyramid(boundaries: [8, 16, 24], lambda: 0.5), layerCount: 32, imageTokens: 2880)) == 9.46)
        #expect(Self.tera(m.paperFLOPs(schedule: try .fastV(k: 2, dropRatio: 0.5), layerCount: 32, imageTokens: 2880), digits: 4) == 10.55)
    }

    /// The whole-prompt count adds the text tokens to every layer; GQA narrows the K/V projections.
    @Test func wholePromptAndGQA() throws {
        let m = Self.llava7B
        let whole = m.wholePromptFLOPs(schedule: .none, layerCount: 1, imageTokens: 576, textTokens: 64)
        #expect(whole == m.layerFLOPs(tokens: 640))
        let mistral = FLOPsModel(hiddenSize: 4096, intermediateSize: 14336, queryWidth: 4096, keyValueWidth: 1024)
        let n = 100.0, d = 4096.0
        #expect(mistral.layerFLOPs(tokens: 100) == n * d * (2 * d + 2 * 1024) + 2 * n * n * d + 3 * n * d * 14336)
    }
}
