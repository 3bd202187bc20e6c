import Foundation
import Tensors
import Testing

/// `Parallel.forEach` on the worker pool: every part runs exactly once, on more than one thread
/// when the machine has the cores, with nested and concurrent regions run inline rather than
/// deadlocking or mixing their parts.
@Suite struct ParallelTests {
    /// Counts of each part's runs over many back-to-back regions of several part counts (more parts
    /// than threads included), as a decode step issues them.
    @Test func everyPartRunsOnce() {
        for parts in [2, 3, 7, 64, 1000] {
            for _ in 0..<200 {
                let runs = Locked([Int](repeating: 0, count: parts))
                Parallel.forEach(parts) { part in runs.withLock { $0[part] += 1 } }
                let counts = runs.withLock { $0 }
                #expect(counts.allSatisfy { $0 == 1 }, "\(parts) parts: runs \(counts)")
            }
        }
    }

    /// A region started from inside a part runs inline, to completion, before the outer part ends.
    @Test func nestedRegionsRunInline() {
        let inner = Locked([Int](repeating: 0, count: 8))
        Parallel.forEach(4) { outer in
            Parallel.forEach(2) { part in inner.withLock { $0[2 * outer + part] += 1 } }
        }
        #expect(inner.withLock { $0 } == [Int](repeating: 1, count: 8))
    }

    /// Regions from several threads at once each complete with their own parts.
    @Test func concurrentCallersEachCompleteTheirRegion() {
        let callers = 4, parts = 16
        let totals = Locked([Int](repeating: 0, count: callers))
        DispatchQueue.concurrentPerform(iterations: callers) { caller in
            for _ in 0..<100 {
                Parallel.forEach(parts) { part in totals.withLock { $0[caller] += part + 1 } }
            }
        }
        let expected = 100 * parts * (parts + 1) / 2
        #expect(totals.withLock { $0 } == [Int](repeating: expected, count: callers))
    }

    /// With two or more workers, a region's parts run on more than one thread.
    @Test func partsSpreadOverThreads() throws {
        try #require(Parallel.workers > 1, "needs two cores")
        var spread = false
        for _ in 0..<50 where !spread {
            let threads = Locked(Set<UInt64>())
            Parallel.forEach(Parallel.workers) { _ in
                let id = UInt64(pthread_self())
                threads.withLock { _ = $0.insert(id) }
                Thread.sleep(forTimeInterval: 0.002)
            }
            spread = threads.withLock { $0.count } > 1
        }
        #expect(spread)
    }
}
