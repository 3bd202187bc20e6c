/// Element-wise arithmetic between tensors of the same shape.
extension Tensor {
    /// `self += other`.
    public mutating func add(_ other: Tensor) {
        precondition(other.shape == shape, "add: shapes \(shape) and \(other.shape) differ")
        other.withFloats { src in
            withMutableFloats { dst in
                Parallel.forEachChunk(of: dst.count, minimumPerWorker: 65_536) { range in for i in range { dst[i] += src[i] } }
            }
        }
    }

    /// `self *= other`.
    public mutating func multiply(_ other: Tensor) {
        precondition(other.shape == shape, "multiply: shapes \(shape) and \(other.shape) differ")
        other.withFloats { src in
            withMutableFloats { dst in
                Parallel.forEachChunk(of: dst.count, minimumPerWorker: 65_536) { range in for i in range { dst[i] *= src[i] } }
            }
        }
    }

    /// The rows of `parts` (each `[rows, width]`) one after another: `[Σ rows, width]`.
    public init(concatenatingRows parts: [Tensor], width: Int) {
        precondition(parts.allSatisfy { $0.rank == 2 && $0.shape[1] == width }, "concatenatingRows: parts \(parts.map(\.shape)), width \(width)")
        self.init(zeros: [parts.reduce(0) { $0 + $1.shape[0] }, width])
        withMutableFloats { dst in
            var offset = 0
            for part in parts {
                part.withFloats { src in (dst.baseAddress! + offset).update(from: src.baseAddress!, count: src.count) }
                offset += part.count
            }
        }
    }

    /// The columns of `parts` (each `[rows, width_i]`, the same rows) side by side: `[rows, Σ width_i]`.
    public init(concatenatingColumns parts: [Tensor]) {
        let rows = parts.first?.shape[0] ?? 0
        precondition(parts.allSatisfy { $0.rank == 2 && $0.shape[0] == rows }, "concatenatingColumns: parts \(parts.map(\.shape))")
        let width = parts.reduce(0) { $0 + $1.shape[1] }
        self.init(zeros: [rows, width])
        withMutableFloats { dst in
            var column = 0
            for part in parts {
                let w = part.shape[1]
                part.withFloats { src in
                    for r in 0..<rows { (dst.baseAddress! + r * width + column).update(from: src.baseAddress! + r * w, count: w) }
                }
                column += w
            }
        }
    }

    /// Rows `rows` of a matrix, gathered into a new `[rows.count, columns]` tensor.
    public func gatherRows(_ rows: [Int]) -> Tensor {
        precondition(rank == 2, "gatherRows needs a matrix, got \(shape)")
        let width = shape[1]
        var out = Tensor(zeros: [rows.count, width])
        withFloats { src in
            out.withMutableFloats { dst in
                for (i, row) in rows.enumerated() {
                    precondition(row >= 0 && row < shape[0], "gatherRows: row \(row) outside 0..<\(shape[0])")
                    (dst.baseAddress! + i * width).update(from: src.baseAddress! + row * width, count: width)
                }
            }
        }
        return out
    }
}
