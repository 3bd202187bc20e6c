import CKernels

/// A level of the C kernels (`CKernels`: 16-bit conversion, GEMV, SiLU, softmax, decode attention),
/// in order: each needs its own instructions and those of the levels below it.
public enum KernelLevel: Int, CaseIterable, Comparable, Sendable, CustomStringConvertible {
    /// Portable C, on every CPU.
    case scalar = 0
    /// AVX2 + FMA + F16C for every kernel.
    case avx2 = 1
    /// AVX-512 F + BW + VL for the GEMVs (16-bit and f32), AVX2 for the other kernels.
    case avx512 = 2

    public static func < (a: KernelLevel, b: KernelLevel) -> Bool { a.rawValue < b.rawValue }

    /// `scalar`, `avx2` or `avx512`, as `PDROP_KERNELS` spells it.
    public var description: String { String(cString: pd_kernels_level_name(Int32(rawValue))) }
}

/// Which level the C kernels take. By default the best the CPU runs; `PDROP_KERNELS=scalar|avx2|avx512`
/// in the environment (read once) chooses a lower one for the whole process (a level the CPU lacks,
/// or an unknown value, gives the best it has), and `withLevel` one for a thread, so tests can check
/// every level on one machine.
public enum Kernels {
    /// The level kernels called from this thread take.
    public static var level: KernelLevel { KernelLevel(rawValue: Int(pd_kernels_level())) ?? .scalar }

    /// The best level this CPU runs.
    public static var best: KernelLevel { KernelLevel(rawValue: Int(pd_kernels_best_level())) ?? .scalar }

    /// The levels this CPU runs, lowest first.
    public static var available: [KernelLevel] { KernelLevel.allCases.filter { $0 <= best } }

    /// The level `PDROP_KERNELS` chooses (capped at `best`; `best` when unset).
    public static var environmentLevel: KernelLevel { KernelLevel(rawValue: Int(pd_kernels_environment_level())) ?? .scalar }

    /// Runs `body` with `level` (capped at `best`) for the kernels it calls on this thread and on the
    /// `Parallel` workers it starts. Scoped to the calling thread, so tests running in parallel on
    /// other threads keep their own level.
    public static func withLevel<R>(_ level: KernelLevel, _ body: () throws -> R) rethrows -> R {
        let previous = pd_kernels_thread_level()
        pd_kernels_set_thread_level(Int32(level.rawValue))
        defer { pd_kernels_set_thread_level(previous) }
        return try body()
    }
}
