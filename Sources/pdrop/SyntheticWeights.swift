import Tensors

/// Deterministic random weights for the synthetic models of `pdrop bench`: every tensor gets its
/// own seed (the next one), so every layer holds distinct data as a real model does.
struct SyntheticWeights {
    private var seed: UInt64

    init(seed: UInt64 = 1) { self.seed = seed }

    /// A `[rows, columns]` matrix uniform in ±1/√columns, stored as `dtype` (F32, F16, BF16, or
    /// quantized to Q8_0 or Q4_0).
    mutating func matrix(_ rows: Int, _ columns: Int, dtype: DType) -> Tensor {
        let values = uniform([rows, columns], scale: 1 / Float(columns).squareRoot())
        return dtype.isBlockQuantized ? values.quantized(to: dtype) : values.converted(to: dtype)
    }

    /// An f32 tensor of `shape` uniform in ±`scale`.
    mutating func uniform(_ shape: [Int], scale: Float) -> Tensor {
        seed += 1
        var generator = SplitMix64(seed: seed)
        var values = Tensor(zeros: shape)
        values.withMutableFloats { p in
            for i in p.indices { p[i] = (Float(generator.next() >> 40) / Float(1 << 24) - 0.5) * 2 * scale }
        }
        return values
    }
}
