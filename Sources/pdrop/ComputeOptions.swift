import ArgumentParser
import Tensors

extension ComputeMode: ExpressibleByArgument {}

/// `--compute` and `--threads`, shared by every command that runs a model.
struct ComputeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("""
        Where products run: auto (bf16 when the weights are stored as BF16 and the CPU has native bf16 matmul, else f32), \
        f32 (OpenBLAS, the same logits on every CPU) or bf16 (oneDNN on AVX512_BF16/AMX; F16 weights are rounded to BF16 \
        once at load, releasing the file's pages as it goes; convert real checkpoints once with `pdrop convert --dtype bf16`).
        """))
    var compute = ComputeMode.auto

    @Option(help: "Threads for OpenBLAS, oneDNN and our own kernels (default: the cores).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// Applies `--threads` and checks that `--compute` can be honoured here (call before loading
    /// the model): `--compute bf16` on a CPU without native bf16 matmul is a one-line error.
    func apply() throws {
        Threads.set(threads ?? Threads.cores)
        if compute == .bf16 { _ = try compute.path(forWeights: .bf16) }
    }
}
