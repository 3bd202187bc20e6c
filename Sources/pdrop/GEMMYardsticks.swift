import Foundation
import Tensors
import WeightIO

/// The GEMM yardsticks of one run at one model's shapes: sgemm always, oneDNN bf16 where the CPU
/// has native bf16 units; the compute path's own is the one efficiencies divide by. Two rounds
/// are timed at once; call `round()` between the model's timed passes for more (five in all by
/// default: best of 5).
struct GEMMYardsticks {
    let path: ComputePath
    let sgemm: GEMMYardstick
    let bf16: GEMMYardstick?

    init(_ shapes: [GEMMShape], path: ComputePath) {
        self.path = path
        bf16 = OneDNNMatmul.isNative ? GEMMYardstick(.oneDNNBF16, shapes: shapes) : nil
        sgemm = GEMMYardstick(.sgemm, shapes: shapes)
        round()
        round()
    }

    /// One more round of both, each followed by a pause: the libraries' threads spin for a while
    /// after a call (OpenBLAS's for long), and would otherwise compete with the next library's
    /// call or the model's next timed pass.
    func round() {
        if let bf16 {
            bf16.round()
            Thread.sleep(forTimeInterval: 0.05)
        }
        sgemm.round()
        Thread.sleep(forTimeInterval: 0.2)
    }

    /// The path's own yardstick.
    var own: GEMMYardstick { path == .bf16 ? bf16! : sgemm }

    /// GFLOP/s of the path's own yardstick.
    var gflops: Double { own.gflops }

    /// `sgemm_gflops`, `bf16_gemm_gflops` and `yardstick` (name, GFLOP/s, rounds) for a report.
    var json: [String: JSON] {
        var entries: [String: JSON] = [
            "sgemm_gflops": .double(sgemm.gflops),
            "yardstick": .object(["name": .string(own.kind.name), "gflops": .double(gflops), "rounds": .int(own.rounds)]),
        ]
        if let bf16 { entries["bf16_gemm_gflops"] = .double(bf16.gflops) }
        return entries
    }

    /// "yardstick: onednn bf16 gemm at <shapes> 412 GFLOP/s, best of 5 (openblas sgemm 150)".
    func text(at shapes: String) -> String {
        let other = path == .bf16 ? "openblas sgemm \(Bench.format(sgemm.gflops))" : bf16.map { "onednn bf16 gemm \(Bench.format($0.gflops))" }
        return "yardstick: \(own.kind.name) at \(shapes) \(Bench.format(gflops)) GFLOP/s, best of \(own.rounds)"
            + (other.map { " (\($0))" } ?? "")
    }
}
