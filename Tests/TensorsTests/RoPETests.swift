import Testing
import Tensors
import TestSupport

/// Rotate-half RoPE against transformers' LlamaRotaryEmbedding + apply_rotary_pos_emb
/// (`ops/rope.safetensors`): head_dim 128 with θ = 10 000 and 1 000 000 at positions
/// [0, 1, 5, 9, 300] (GQA: 2 query heads, 1 KV head), and head_dim 8 at [0…4, 4095].
@Suite struct RoPETests {
    let rope: [String: Tensor]
    init() throws { rope = try Fixtures.tensors("ops/rope.safetensors") }

    static let cases: [(tag: String, theta: Float, headDim: Int)] = [
        ("theta1e4", 10_000, 128), ("theta1e6", 1_000_000, 128), ("small", 10_000, 8),
    ]

    /// inv_freq = 1 / θ^(2i/d) in f32. Tolerance: 2e-7 relative (torch's pow and powf may differ by an ulp).
    @Test(arguments: cases)
    func inverseFrequenciesMatch(tag: String, theta: Float, headDim: Int) throws {
        let ours = RoPE(headDim: headDim, theta: theta).inverseFrequencies
        expectClose(ours, try tensor(rope, "\(tag).inv_freq").floats, relative: 2e-7, "\(tag) inv_freq")
    }

    /// q and k rotated at the fixture's positions (non-contiguous ones included). Tolerance: 1e-5
    /// relative + 2e-6 absolute (cos/sin of angles up to 4095 rad in f32; element values ≈ N(0, 1)).
    @Test(arguments: cases)
    func rotatesLikeTransformers(tag: String, theta: Float, headDim: Int) throws {
        let positions = try tensor(rope, "\(tag).positions").integers
        let rotary = RoPE(headDim: headDim, theta: theta)
        for name in ["q", "k"] {
            var x = try tensor(rope, "\(tag).\(name)")
            rotary.apply(&x, positions: positions)
            expectClose(x, try tensor(rope, "\(tag).\(name)_rot"), relative: 1e-5, absolute: 2e-6, "\(tag) \(name)")
        }
    }

    @Test func fixturePositionsAreTheAdvertisedOnes() throws {
        #expect(try tensor(rope, "theta1e4.positions").integers == [0, 1, 5, 9, 300])
        #expect(try tensor(rope, "small.positions").integers == [0, 1, 2, 3, 4, 4095])
    }

    /// Position 0 is the identity; a row's result depends only on its own position.
    @Test func positionZeroIsIdentityAndRowsAreIndependent() throws {
        let q = try tensor(rope, "theta1e4.q")
        let rotary = RoPE(headDim: 128, theta: 10_000)
        var atZero = q
        rotary.apply(&atZero, positions: [0, 0, 0, 0, 0])
        #expect(atZero.floats == q.floats)

        // Row 4 alone at position 300 equals row 4 of the batch.
        let width = q.shape[1]
        let row4 = Array(q.floats[(4 * width)..<(5 * width)])
        var single = Tensor(shape: [1, width], values: row4)
        rotary.apply(&single, positions: [300])
        var batch = q
        rotary.apply(&batch, positions: [0, 1, 5, 9, 300])
        #expect(single.floats == Array(batch.floats[(4 * width)..<(5 * width)]))
    }
}
