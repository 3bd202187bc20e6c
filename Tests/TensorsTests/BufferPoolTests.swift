import Tensors
import Testing

/// The buffer pool behind owned tensors: size classes, reuse, the capacity bound, and the
/// per-thread pool that lets a loop count the tensor buffers it takes (pool misses and reuses).
@Suite struct BufferPoolTests {
    /// Classes hold the request, step by 64 bytes up to 4 KiB and waste at most 25 % above that,
    /// and never shrink as the request grows.
    @Test func sizeClassesBoundTheWaste() {
        var previous = 0
        for byteCount in Array(0...9000) + [65_537, 1 << 20, (1 << 20) + 1, 28_835_840, 1 << 30] {
            let size = BufferPool.sizeClass(byteCount)
            #expect(size >= byteCount && size >= previous && size % 64 == 0)
            if byteCount > 4096 { #expect(Double(size) <= 1.25 * Double(byteCount)) } else { #expect(size - byteCount < 64 || byteCount == 0) }
            previous = size
        }
        #expect(BufferPool.sizeClass(5000) == 5120 && BufferPool.sizeClass(8193) == 10_240)
    }

    /// A freed buffer of a class serves the next request of that class.
    @Test func freedBuffersAreReused() {
        let pool = BufferPool(capacity: 1 << 20)
        let first = pool.take(byteCount: 10_000)
        pool.give(first, byteCount: 10_000)
        let second = pool.take(byteCount: 9_500)   // same class
        #expect(second == first)
        #expect(pool.statistics == BufferPool.Statistics(systemAllocations: 1, reuses: 1, cachedBytes: 0))
        pool.give(second, byteCount: 9_500)
        pool.removeAll()
        #expect(pool.statistics.cachedBytes == 0)
    }

    /// The cache never holds more than its capacity: a buffer that does not fit evicts other
    /// classes, and one over a quarter of the capacity is never cached.
    @Test func capacityBoundsTheCache() {
        let pool = BufferPool(capacity: 64 << 10)
        let small = (0..<7).map { _ in pool.take(byteCount: 8192) }
        small.forEach { pool.give($0, byteCount: 8192) }
        #expect(pool.statistics.cachedBytes == 56 << 10)
        let larger = pool.take(byteCount: 16 << 10)
        pool.give(larger, byteCount: 16 << 10)
        #expect(pool.statistics.cachedBytes == 16 << 10)   // the 8 KiB class was freed to make room
        let huge = pool.take(byteCount: 20 << 10)
        pool.give(huge, byteCount: 20 << 10)
        #expect(pool.statistics.cachedBytes == 16 << 10)   // over a quarter: freed, not cached
        pool.removeAll()
    }

    /// Tensors made inside `withPool` come from that pool and return to it when freed, also
    /// after `withPool` has returned; outside, tensors use the shared pool again.
    @Test func withPoolRoutesThisThreadsTensors() {
        let pool = BufferPool(capacity: 1 << 20), size = BufferPool.sizeClass(4000)
        BufferPool.withPool(pool) {
            #expect(BufferPool.current === pool)
            for _ in 0..<3 { _ = Tensor(zeros: [100, 10]) }   // each freed before the next is made
        }
        #expect(BufferPool.current === BufferPool.shared)
        #expect(pool.statistics == BufferPool.Statistics(systemAllocations: 1, reuses: 2, cachedBytes: size))
        var kept: Tensor? = BufferPool.withPool(pool) { Tensor(zeros: [100, 10]) }
        #expect(kept?.count == 1000 && pool.statistics.cachedBytes == 0)
        kept = nil
        #expect(pool.statistics.cachedBytes == size)
        pool.removeAll()
    }
}
