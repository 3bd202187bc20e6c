import CKernels

/// Which path the C kernels (`CKernels`: 16-bit conversion, GEMV, SiLU, softmax, decode attention)
/// take. Where the CPU has AVX2 + FMA + F16C they run vectorised; `PDROP_FORCE_SCALAR=1` in the
/// environment (read once) or `withForcedScalar` makes them run their portable scalar code, so
/// tests can check both paths on one machine.
public enum Kernels {
    /// Whether kernels called from this thread take the vector path (false on CPUs without AVX2,
    /// and while the scalar path is forced).
    public static var isVectorized: Bool { pd_kernels_vectorized() != 0 }

    /// Whether the scalar path is forced for kernels called from this thread.
    public static var forceScalar: Bool { pd_force_scalar() != 0 }

    /// Runs `body` with the scalar path forced (`true`) or the vector path allowed (`false`, the
    /// default unless `PDROP_FORCE_SCALAR` is set) for the kernels it calls on this thread and on
    /// the `Parallel` workers it starts. Scoped to the calling thread, so tests running in
    /// parallel on other threads keep their own path.
    public static func withForcedScalar<R>(_ scalar: Bool, _ body: () throws -> R) rethrows -> R {
        let previous = pd_thread_force_scalar()
        pd_set_thread_force_scalar(scalar ? 1 : 0)
        defer { pd_set_thread_force_scalar(previous) }
        return try body()
    }
}
