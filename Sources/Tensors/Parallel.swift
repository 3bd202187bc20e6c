import CKernels
import Foundation
import Synchronization

/// Data parallelism for the work OpenBLAS does not already spread over the cores (16-bit GEMV,
/// conversions, element-wise loops). Never call BLAS from inside `forEach`: OpenBLAS runs its own
/// threads, and nesting them oversubscribes the cores.
public enum Parallel {
    /// Worker count: the active processor count unless `Threads.set` chose another.
    public static var workers: Int { workerCount.load(ordering: .relaxed) }

    private static let workerCount = Atomic<Int>(max(1, ProcessInfo.processInfo.activeProcessorCount))

    /// Sets the worker count (see `Threads.set`, which also sets OpenBLAS's).
    static func setWorkers(_ count: Int) { workerCount.store(max(1, count), ordering: .relaxed) }

    /// Runs `body(0..<parts)` concurrently on the caller and the pool's workers (`pd_pool_run`:
    /// threads that spin briefly between regions, so that a decode step's many short products
    /// start at once instead of waiting for a sleeping thread to wake); inline when `parts` is 1,
    /// and when another region is already running (a nested or concurrent call).
    public static func forEach(_ parts: Int, _ body: (Int) -> Void) {
        guard parts > 1 else {
            for part in 0..<parts { body(part) }
            return
        }
        // The parts write disjoint memory by contract, so the closure may run concurrently.
        // Each part's kernels take the caller's level (see `Kernels.withLevel`).
        withoutActuallyEscaping(body) { body in
            let region = Region(body: body, level: pd_kernels_thread_level())
            withExtendedLifetime(region) {
                pd_pool_run(workers, parts, { context, part in
                    let region = Unmanaged<Region>.fromOpaque(context!).takeUnretainedValue()
                    let previous = pd_kernels_thread_level()
                    pd_kernels_set_thread_level(region.level)
                    defer { pd_kernels_set_thread_level(previous) }
                    region.body(part)
                }, Unmanaged.passUnretained(region).toOpaque())
            }
        }
    }

    /// One `forEach` call as the pool's task context.
    private final class Region {
        let body: (Int) -> Void
        let level: Int32
        init(body: @escaping (Int) -> Void, level: Int32) { self.body = body; self.level = level }
    }
}

extension Parallel {
    /// Splits `0..<count` into one contiguous range per worker (only when each gets at least
    /// `minimumPerWorker` items; otherwise runs inline) and runs `body` on them concurrently.
    public static func forEachChunk(of count: Int, minimumPerWorker: Int, _ body: (Range<Int>) -> Void) {
        let parts = max(1, min(workers, count / max(minimumPerWorker, 1)))
        forEach(parts) { part in body((count * part / parts)..<(count * (part + 1) / parts)) }
    }
}
