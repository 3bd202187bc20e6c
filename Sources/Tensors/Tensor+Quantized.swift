import CKernels

extension Tensor {
    /// Rows `range` of this matrix (`[rows, columns]`, any float-readable dtype) as f32 into
    /// `destination` (`range.count × columns` floats): the weight tiles of a prefill product.
    public func dequantizeRows(_ range: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        precondition(rank == 2 && range.lowerBound >= 0 && range.upperBound <= shape[0], "dequantizeRows \(range) of \(shape)")
        let columns = shape[1]
        if dtype.isInterleaved {
            pd_dequantize_x8(dtype.ggmlType!, rawBytes.baseAddress!, shape[0], columns, range.lowerBound, range.upperBound, destination)
        } else {
            let rowBytes = dtype.byteCount(elements: columns)!
            HalfPrecision.convertToFloat(rawBytes.baseAddress! + range.lowerBound * rowBytes, dtype: dtype, count: range.count * columns,
                                         into: destination)
        }
    }

    /// This matrix (`[rows, columns]`, columns a multiple of 32) quantized to `target` (`.q8_0`
    /// or `.q4_0`) as ggml's reference quantizer does it, in ggml's layout.
    public func quantized(to target: DType) -> Tensor {
        precondition(target == .q8_0 || target == .q4_0, "quantized(to:) makes Q8_0 or Q4_0, not \(target.rawValue)")
        precondition(rank == 2 && shape[1] % 32 == 0, "quantized(to:) needs a matrix of whole 32-blocks, got \(shape)")
        let holder = TensorStorage(zeroedByteCount: target.byteCount(elements: count)!)
        withFloats { src in
            if target == .q8_0 {
                pd_quantize_q8_0(src.baseAddress!, holder.base, count)
            } else {
                pd_quantize_q4_0(src.baseAddress!, holder.base, count)
            }
        }
        return Tensor(viewing: holder.base, byteCount: holder.byteCount, dtype: target, shape: shape, owner: holder)
    }

    /// A Q8_0 or Q4_0 matrix in its GEMV layout (`Q8_0x8`/`Q4_0x8`: 8 rows interleaved, see
    /// `pd_pack_x8`), in owned memory of the same size; other tensors as they are.
    public func interleavedForGEMV() -> Tensor {
        let target: DType
        switch dtype {
        case .q8_0: target = .q8_0x8
        case .q4_0: target = .q4_0x8
        default: return self
        }
        precondition(rank == 2, "interleavedForGEMV needs a matrix, got \(shape)")
        let holder = TensorStorage(zeroedByteCount: rawBytes.count)
        pd_pack_x8(dtype.ggmlType!, rawBytes.baseAddress!, holder.base, shape[0], shape[1])
        return Tensor(viewing: holder.base, byteCount: holder.byteCount, dtype: target, shape: shape, owner: holder)
    }
}
