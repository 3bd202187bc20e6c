import Tensors
import Testing

/// The two paths of the C kernels, for tests that run on both: `vector` (AVX2 + FMA + F16C where
/// the CPU has it, else the same scalar code) and `scalar` (forced portable code).
///
/// The choice is scoped to the calling thread and the `Parallel` workers it starts
/// (`Kernels.withForcedScalar`), not process-wide: Swift Testing runs suites in parallel, and a
/// global switch would move other suites' tests onto a path mid-run (serialising one suite with
/// `.serialized` orders only that suite's tests, not the others').
public enum KernelPath: String, CaseIterable, Sendable {
    case vector, scalar

    /// Runs `body` with its kernels on this path.
    public func run<R>(_ body: () throws -> R, sourceLocation: SourceLocation = #_sourceLocation) rethrows -> R {
        try Kernels.withForcedScalar(self == .scalar) {
            #expect(Kernels.forceScalar == (self == .scalar), sourceLocation: sourceLocation)
            if self == .scalar { #expect(!Kernels.isVectorized, sourceLocation: sourceLocation) }
            return try body()
        }
    }
}
