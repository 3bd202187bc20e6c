import CBLAS
import COneDNN
import Foundation

/// One thread count for every pool that runs our kernels: our own `Parallel` workers, OpenBLAS's
/// threads and oneDNN's OpenMP team.
public enum Threads {
    /// The cores this process may use (the default count).
    public static var cores: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// The count in use.
    public static var count: Int { Parallel.workers }

    /// Uses `count` threads from now on. OpenMP's count applies to products started from the
    /// calling thread (the one that drives the model), as OpenMP scopes it.
    public static func set(_ count: Int) {
        precondition(count >= 1, "thread count must be at least 1")
        Parallel.setWorkers(count)
        openblas_set_num_threads(Int32(count))
        omp_set_num_threads(Int32(count))
    }
}
