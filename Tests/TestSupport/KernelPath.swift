import Tensors
import Testing

/// The levels of the C kernels, for tests that run on each: `scalar` (portable code), `avx2` and
/// `avx512`. `allCases` holds only the levels this CPU runs; the first use prints the ones skipped
/// and why, so a run on an AVX2-only machine says that it did not test AVX-512.
///
/// The choice is scoped to the calling thread and the `Parallel` workers it starts
/// (`Kernels.withLevel`), not process-wide: Swift Testing runs suites in parallel, and a global
/// switch would move other suites' tests onto a level mid-run (serialising one suite with
/// `.serialized` orders only that suite's tests, not the others').
public enum KernelPath: String, CaseIterable, Sendable {
    case scalar, avx2, avx512

    /// The kernel level this path runs.
    public var level: KernelLevel {
        switch self {
        case .scalar: return .scalar
        case .avx2: return .avx2
        case .avx512: return .avx512
        }
    }

    /// The paths this CPU runs, lowest first.
    public static let allCases: [KernelPath] = {
        let skipped = [KernelPath.scalar, .avx2, .avx512].filter { $0.level > Kernels.best }
        for path in skipped {
            print("KernelPath: skipping kernel level \(path.rawValue): this CPU's best level is \(Kernels.best)")
        }
        return [KernelPath.scalar, .avx2, .avx512].filter { $0.level <= Kernels.best }
    }()

    /// Runs `body` with its kernels at this level.
    public func run<R>(_ body: () throws -> R, sourceLocation: SourceLocation = #_sourceLocation) rethrows -> R {
        try Kernels.withLevel(level) {
            #expect(Kernels.level == level, sourceLocation: sourceLocation)
            return try body()
        }
    }
}
