import Foundation
import Tensors

/// Chooses the next token from logits: greedy (temperature 0) or temperature + nucleus (top-p)
/// sampling from a seeded generator, so runs are reproducible.
public struct Sampler: Sendable {
    public let temperature: Float
    public let topP: Float
    private var generator: SplitMix64

    /// `temperature` 0 means greedy; `topP` in (0, 1].
    public init(temperature: Float = 0, topP: Float = 1, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topP = topP
        generator = SplitMix64(seed: seed)
    }

    /// The index of the largest value (the first one on ties, as `torch.argmax`).
    public static func argmax(_ values: UnsafeBufferPointer<Float>) -> Int {
        var best = 0
        for i in values.indices where values[i] > values[best] { best = i }
        return best
    }

    /// Picks a token from `logits` (only the first `limit` entries are eligible, if given).
    public mutating func sample(_ logits: [Float], limit: Int? = nil) -> Int {
        let n = min(limit ?? logits.count, logits.count)
        if temperature <= 0 {
            return logits.withUnsafeBufferPointer { Self.argmax(UnsafeBufferPointer(rebasing: $0[0..<n])) }
        }
        let scaled = logits[0..<n].map { $0 / temperature }
        let maxLogit = scaled.max() ?? 0
        var probabilities = scaled.map { exp($0 - maxLogit) }
        let total = probabilities.reduce(0, +)
        for i in probabilities.indices { probabilities[i] /= total }
        // Nucleus: the smallest set of most likely tokens whose mass reaches top-p (at least one).
        let order = probabilities.indices.sorted { probabilities[$0] > probabilities[$1] }
        var kept: [Int] = []
        var mass: Float = 0
        for index in order {
            kept.append(index)
            mass += probabilities[index]
            if mass >= topP { break }
        }
        let draw = Float(Double(generator.next() >> 11) / Double(1 << 53)) * mass
        var cumulative: Float = 0
        for index in kept {
            cumulative += probabilities[index]
            if draw < cumulative { return index }
        }
        return kept.last!
    }
}
