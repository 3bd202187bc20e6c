#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Recycles the memory behind owned tensors, so that a steady loop — a decode step running the same
/// layers on the same shapes — takes every activation buffer from the pool instead of from the
/// system (no `malloc`/`free`, no page faults for large prefill buffers).
///
/// Requests are rounded up to a size class (multiples of 64 bytes up to 4 KiB, then four classes
/// per power of two, so at most 25 % is wasted). Freed buffers wait in per-class free lists while
/// the cached total stays within `capacity`; a buffer that would exceed it makes room by freeing
/// cached buffers of other classes, or is freed itself.
///
/// Owned tensors come from `current` — `shared` unless `withPool` installed another on this
/// thread — and go back to the pool they came from, whichever thread frees them.
public final class BufferPool: Sendable {
    /// The pool behind owned tensors by default: at most 256 MiB of free buffers, none over 64 MiB.
    public static let shared = BufferPool(capacity: 256 << 20)

    /// Counters since the pool was created.
    public struct Statistics: Sendable, Equatable {
        /// Buffers allocated from the system because no cached buffer of the class was free.
        public var systemAllocations = 0
        /// Buffers handed out from the cache.
        public var reuses = 0
        /// Bytes currently cached (free, held for reuse).
        public var cachedBytes = 0

        public init(systemAllocations: Int = 0, reuses: Int = 0, cachedBytes: Int = 0) {
            self.systemAllocations = systemAllocations
            self.reuses = reuses
            self.cachedBytes = cachedBytes
        }
    }

    /// Most bytes held in free lists.
    public let capacity: Int
    /// Buffers larger than this (a quarter of `capacity`) are never cached.
    private var largestCached: Int { capacity / 4 }
    private let state = Locked(State())

    /// Free buffers by class, as address bit patterns (plain integers cross the lock as `Sendable`).
    private struct State: ~Copyable, Sendable {
        var free: [Int: [Int]] = [:]
        var statistics = Statistics()
    }

    /// A pool caching at most `capacity` bytes of free buffers.
    public init(capacity: Int) {
        self.capacity = capacity
    }

    /// A pool going away frees what it cached (`shared` never goes: its cache stays reachable
    /// to the end, which is why LeakSanitizer does not count it).
    deinit { removeAll() }

    /// The counters so far.
    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// A 64-byte-aligned buffer of at least `byteCount` bytes (its class size; see `sizeClass`).
    public func take(byteCount: Int) -> UnsafeMutableRawPointer {
        let size = Self.sizeClass(byteCount)
        let cached: Int? = state.withLock { state in
            guard let buffer = state.free[size]?.popLast() else {
                state.statistics.systemAllocations += 1
                return nil
            }
            state.statistics.reuses += 1
            state.statistics.cachedBytes -= size
            return buffer
        }
        return UnsafeMutableRawPointer(bitPattern: cached ?? 0) ?? Self.systemBuffer(byteCount: size)
    }

    /// A new buffer from the system (free it with `deallocate()`), 64-byte aligned; from 2 MiB up,
    /// 2 MiB aligned and advised as transparent huge pages (Linux `madvise`; nothing where THP is
    /// off). A decode step streams every weight once: on 4 KiB pages its TLB misses kept the GEMV at
    /// ~0.75 of the streaming read on AVX-512, on 2 MiB pages it reaches ~0.97 (a C loop over 7B
    /// layer shapes, two cores).
    public static func systemBuffer(byteCount: Int) -> UnsafeMutableRawPointer {
        let hugePage = 2 << 20
        guard byteCount >= hugePage else { return UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 64) }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: hugePage)
        #if os(Linux)
        _ = madvise(buffer, byteCount, MADV_HUGEPAGE)
        #endif
        return buffer
    }

    /// Returns a buffer from this pool's `take(byteCount:)` (with the same `byteCount`).
    public func give(_ buffer: UnsafeMutableRawPointer, byteCount: Int) {
        let size = Self.sizeClass(byteCount)
        let address = Int(bitPattern: buffer)
        var evicted: [Int] = []
        let kept = size <= largestCached && state.withLock { state in
            if state.statistics.cachedBytes + size > capacity {
                for other in Array(state.free.keys) where other != size && state.statistics.cachedBytes + size > capacity {
                    let freed = state.free.removeValue(forKey: other) ?? []
                    evicted += freed
                    state.statistics.cachedBytes -= other * freed.count
                }
            }
            guard state.statistics.cachedBytes + size <= capacity else { return false }
            state.free[size, default: []].append(address)
            state.statistics.cachedBytes += size
            return true
        }
        if !kept { buffer.deallocate() }
        Self.deallocate(evicted)
    }

    /// The pool owned tensors created on this thread come from.
    public static var current: BufferPool {
        guard let installed = pthread_getspecific(currentKey) else { return shared }
        return Unmanaged<BufferPool>.fromOpaque(installed).takeUnretainedValue()
    }

    /// Calls `body` with `byteCount` uninitialised bytes (64-byte aligned) taken from `current`
    /// and given back afterwards: scratch for kernels without page faults in steady loops.
    public static func withScratch<R>(byteCount: Int, _ body: (UnsafeMutableRawPointer) throws -> R) rethrows -> R {
        let pool = current
        let buffer = pool.take(byteCount: max(byteCount, 64))
        defer { pool.give(buffer, byteCount: max(byteCount, 64)) }
        return try body(buffer)
    }

    /// Runs `body` with the owned tensors it creates on this thread taken from `pool` (for example
    /// to count the tensor buffers one loop takes, apart from other threads' work).
    public static func withPool<R>(_ pool: BufferPool, _ body: () throws -> R) rethrows -> R {
        let previous = pthread_getspecific(currentKey)
        pthread_setspecific(currentKey, Unmanaged.passUnretained(pool).toOpaque())
        defer { pthread_setspecific(currentKey, previous) }
        return try withExtendedLifetime(pool) { try body() }
    }

    private static let currentKey: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "BufferPool: no thread-specific key left")
        return key
    }()

    /// Frees every cached buffer.
    public func removeAll() {
        Self.deallocate(state.withLock { state in
            defer { state.free = [:]; state.statistics.cachedBytes = 0 }
            return state.free.values.flatMap { $0 }
        })
    }

    private static func deallocate(_ addresses: [Int]) {
        for address in addresses { UnsafeMutableRawPointer(bitPattern: address)?.deallocate() }
    }

    /// The class a request of `byteCount` bytes is served from: a multiple of 64 up to 4 KiB, then
    /// the next multiple of a quarter of the highest power of two below `byteCount`.
    public static func sizeClass(_ byteCount: Int) -> Int {
        guard byteCount > 4096 else { return max(64, (byteCount + 63) & ~63) }
        let highestBit = Int.bitWidth - 1 - (byteCount - 1).leadingZeroBitCount
        let step = 1 << (highestBit - 2)
        return (byteCount + step - 1) & ~(step - 1)
    }
}
