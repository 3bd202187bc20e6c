import CKernels
import Dispatch
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

    /// Runs `body(0..<parts)` concurrently (inline when `parts` is 1).
    public static func forEach(_ parts: Int, _ body: (Int) -> Void) {
        if parts <= 1 {
            for part in 0..<parts { body(part) }
        } else {
            // The parts write disjoint memory by contract, so the closure may run concurrently.
            // Each part's kernels take the caller's level (see `Kernels.withLevel`).
            let level = pd_kernels_thread_level()
            withoutActuallyEscaping(body) { body in
                let shared = UncheckedSendable(value: body)
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    let previous = pd_kernels_thread_level()
                    pd_kernels_set_thread_level(level)
                    defer { pd_kernels_set_thread_level(previous) }
                    shared.value(part)
                }
            }
        }
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

private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
}
