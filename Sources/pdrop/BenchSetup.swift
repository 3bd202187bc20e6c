import Tensors
import WeightIO

/// What one `pdrop bench` run computes on: the `--compute` mode, the path it gives the requested
/// weights, and how the weights are stored (BF16 on the bf16 path, whatever was requested).
struct BenchSetup {
    let mode: ComputeMode
    let path: ComputePath
    /// `--weights`.
    let requested: DType
    /// The dtype the synthetic weights are built as.
    let stored: DType

    /// The kernels multi-row products take (prefill, the vision tower).
    var prefillName: String { BenchPlatform.gemmName(path, stored: stored) }

    /// The kernels decode's single-row products take.
    var decodeName: String { BenchPlatform.decodeName(stored: stored) }

    /// "bf16 weights", or "bf16 weights (f32 rounded at build)".
    var weightsText: String {
        let name = stored.rawValue.lowercased()
        return stored == requested ? "\(name) weights" : "\(name) weights (\(requested.rawValue.lowercased()) rounded at build)"
    }

    /// The report's `compute` object.
    var json: JSON {
        .object(["mode": .string(mode.rawValue), "path": .string(path.rawValue), "prefill": .string(prefillName),
                 "decode": .string(decodeName), "threads": .int(Threads.count)])
    }
}
