#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value behind a pthread mutex, reached only inside `withLock`.
///
/// Used instead of `Synchronization.Mutex`, whose contended path waits on a futex inside the
/// prebuilt Swift runtime, where ThreadSanitizer cannot see it: a contended `Mutex` makes TSan
/// report the accesses it protects as races. pthread mutexes are intercepted by every sanitizer,
/// and cost the same uncontended.
public final class Locked<Value: ~Copyable> {
    private var value: Value
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    /// `value` behind a new lock.
    public init(_ value: consuming Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// `body`'s result, run with the lock held and the value to read or change.
    public func withLock<Result: ~Copyable, E: Error>(_ body: (inout Value) throws(E) -> Result) throws(E) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}

extension Locked: @unchecked Sendable where Value: ~Copyable & Sendable {}
