import CBLAS
import Foundation

/// One thread count for every pool that runs our kernels: our own `Parallel` workers and
/// OpenBLAS's threads. oneDNN runs on our workers (one thread per call, see `OneDNNMatmul`).
public enum Threads {
    /// The cores this process may use (the default count).
    public static var cores: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// The count in use.
    public static var count: Int { Parallel.workers }

    /// Uses `count` threads from now on.
    public static func set(_ count: Int) {
        precondition(count >= 1, "thread count must be at least 1")
        Parallel.setWorkers(count)
        openblas_set_num_threads(Int32(count))
    }
}
