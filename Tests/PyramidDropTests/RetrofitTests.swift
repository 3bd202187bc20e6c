import PyramidDrop
import Tensors
import Testing

/// A layer type defined here, outside the library, conformed to `DecoderLayer`: the protocol is
/// all the wrapper needs. Each token's hidden value is a single number; "attention" of the last
/// token favours tokens with larger values; forward adds 1 to every token.
struct ToyLayer: DecoderLayer {
    func forward(_ state: inout TokenState, cache: inout any KVStore) {
        state.hidden.withMutableFloats { h in for i in h.indices { h[i] += 1 } }
        cache.append(keys: state.hidden, values: state.hidden)
    }

    func attention(of queries: [Int], in state: TokenState) -> Tensor {
        let values = state.hidden.floats
        let total = values.reduce(0, +)
        return Tensor(shape: [queries.count, state.count], values: queries.flatMap { _ in values.map { $0 / total } })
    }
}

@Suite struct RetrofitTests {
    /// Text 0, 1; image tokens with values 5, 9, 1, 7, 3, 8; text 2.
    static let prompt = TokenState(hidden: Tensor(shape: [9, 1], values: [1, 1, 5, 9, 1, 7, 3, 8, 1]),
                                   isImage: [false, false, true, true, true, true, true, true, false])

    @Test func pyramidDropOnAToyLayer() throws {
        let wrapper = try PyramidWrapper(layers: Array(repeating: ToyLayer(), count: 4),
                                         policy: PyramidDropPolicy(boundaries: [1, 3], lambda: 0.5))
        var caches = wrapper.makeCaches()
        let (state, trace) = try wrapper.prefill(Self.prompt, caches: &caches)
        // Stage 1 keeps ⌊6·0.5⌋ = 3 of the largest (9, 8, 7) in original order; stage 2 ⌊6·0.25⌋ = 1.
        #expect(trace.stages.map(\.kept) == [[1, 3, 5], [1]])
        #expect(trace.stages.map(\.layer) == [1, 3])
        #expect(trace.tokensPerLayer == [9, 6, 6, 4])
        #expect(state.hidden.floats == [5, 5, 13, 5])
        #expect(state.positions == [0, 1, 2, 3])
        #expect(state.origins.map(\.promptIndex) == [0, 1, 3, 8])
        // Decode: compact positions are each layer's cache length.
        _ = wrapper.decode(Tensor(shape: [1, 1], values: [0]), caches: &caches)
        #expect(caches.layers.map(\.count) == [10, 7, 7, 5])
    }

    @Test func fastVKeepsOriginalPositions() throws {
        let wrapper = try PyramidWrapper(layers: Array(repeating: ToyLayer(), count: 3),
                                         policy: FastVPolicy(k: 2, dropRatio: 0.5))
        var caches = wrapper.makeCaches()
        let (state, trace) = try wrapper.prefill(Self.prompt, caches: &caches)
        #expect(trace.stages.map(\.kept) == [[1, 3, 5]])
        #expect(state.positions == [0, 1, 3, 5, 7, 8])
    }

    @Test func randomPolicyIsSeededAndKeepsText() throws {
        func run(seed: UInt64) throws -> [[Int]] {
            let wrapper = try PyramidWrapper(layers: Array(repeating: ToyLayer(), count: 3),
                                             policy: RandomPolicy(schedule: .pyramid(boundaries: [1, 2], lambda: 0.5), seed: seed))
            var caches = wrapper.makeCaches()
            let (state, trace) = try wrapper.prefill(Self.prompt, caches: &caches)
            #expect(state.origins.filter { !$0.isImage }.map(\.promptIndex) == [0, 1, 8])
            return trace.stages.map(\.kept)
        }
        let a = try run(seed: 7)
        #expect(a.map(\.count) == [3, 1])
        #expect(try run(seed: 7) == a)
        #expect(Set(a[1]).isSubset(of: Set(a[0])))
        // Another seed draws another subset (checked over several seeds: one could collide).
        #expect(try (8..<12).map { try run(seed: $0) }.contains { $0 != a })
    }
}
