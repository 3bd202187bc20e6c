import COneDNN
import Foundation

/// bf16 × bf16 → f32 matrix products on the CPU's bf16 units through oneDNN's matmul primitive.
///
/// Only native implementations are used: the first product probes which implementation oneDNN
/// picks for this CPU, and bf16 compute is available (`isNative`) only when it is one of the
/// bf16 kernels (`avx512_core_bf16`, `avx512_core_amx`), never the reference or an emulation.
/// A shape for which oneDNN would fall back to a non-native kernel is computed in f32 through
/// OpenBLAS instead (`fallbacks` counts them). `PDROP_FORCE_F32=1` in the environment makes
/// `isNative` false, so the f32 path can be tested on a bf16 machine.
///
/// Primitives are created once per shape and kept (a bounded cache); each call runs with its own
/// scratchpad, so products may run concurrently from several threads.
///
/// Threading: oneDNN never starts an OpenMP team. Every primitive is created and run for one
/// thread, on the thread that calls it, and `multiply` spreads a large product's columns over
/// the `Parallel` workers itself — so the cores are shared by one pool (ours), and no OpenMP
/// worker spins between products while our workers run the f32 glue around them.
public enum OneDNNMatmul {
    /// Whether bf16 products run on native bf16 units here (and are not disabled by
    /// `PDROP_FORCE_F32`).
    public static var isNative: Bool { probe.native && !forcedF32 }

    /// oneDNN's name for the implementation it runs bf16 products with on this CPU (for
    /// example `brg:avx512_core_bf16`), or why there is none.
    public static var implementation: String { probe.implementation }

    /// Whether `PDROP_FORCE_F32` (any value but empty or `0`) disables the bf16 path.
    public static let forcedF32: Bool = {
        guard let value = ProcessInfo.processInfo.environment["PDROP_FORCE_F32"] else { return false }
        return !value.isEmpty && value != "0"
    }()

    /// Products computed through the f32 fallback because oneDNN had no native kernel for
    /// their shape.
    public static var fallbacks: Int { cache.withLock { $0.fallbacks } }

    /// `C[m, n] = alpha · A · op(B)` with `A` `[m, k]` (row stride `lda`) and `B` either `[k, n]`
    /// (row stride `ldb`) or, with `transB`, `[n, k]` (as a PyTorch `[out, in]` weight), all
    /// bf16 bits, into f32 `C` (row stride `ldc`), plus the f32 `bias` (`n` values, if given)
    /// on every row and then `activation` (if given) as oneDNN writes `C`. Requires `isNative`.
    ///
    /// With `spread` (the default) a product of at least `spreadMultiplyAdds` multiply-adds is
    /// split into row slices, one per `Parallel` worker (rows, so that every slice's operands
    /// stay dense and oneDNN keeps its brgemm kernel); callers that already run on the workers
    /// pass `spread: false` to compute on their own thread. Every element is computed the same
    /// way either way.
    public static func multiply(m: Int, n: Int, k: Int, alpha: Float = 1,
                                a: UnsafePointer<UInt16>, lda: Int, b: UnsafePointer<UInt16>, ldb: Int, transB: Bool,
                                c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>? = nil, activation: Activation? = nil,
                                spread: Bool = true) {
        precondition(isNative, "OneDNNMatmul.multiply needs native bf16 units (\(implementation))")
        guard m > 0, n > 0 else { return }
        let parts = spread && m * n * k >= spreadMultiplyAdds ? min(Parallel.workers, m) : 1
        Parallel.forEach(parts) { part in
            let r0 = m * part / parts, r1 = m * (part + 1) / parts
            multiplyOnThisThread(m: r1 - r0, n: n, k: k, alpha: alpha, a: a + r0 * lda, lda: lda, b: b, ldb: ldb, transB: transB,
                                 c: c + r0 * ldc, ldc: ldc, bias: bias, activation: activation)
        }
    }

    /// Products smaller than this many multiply-adds run on the calling thread alone.
    public static let spreadMultiplyAdds = 1 << 22

    /// The product on the calling thread (oneDNN with a one-thread OpenMP setting).
    private static func multiplyOnThisThread(m: Int, n: Int, k: Int, alpha: Float,
                                             a: UnsafePointer<UInt16>, lda: Int, b: UnsafePointer<UInt16>, ldb: Int, transB: Bool,
                                             c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>?,
                                             activation: Activation?) {
        guard k > 0 else {
            for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) }
            return
        }
        let key = Shape(m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc, transB: transB, alpha: alpha, bias: bias != nil,
                        activation: activation)
        guard let primitive = primitive(for: key) else {
            fallback(key, a: a, b: b, c: c, bias: bias)
            if let activation {
                for i in 0..<m { for j in 0..<n { c[i * ldc + j] = activation(c[i * ldc + j]) } }
            }
            return
        }
        primitive.run(a: a, b: b, c: c, bias: bias)
    }

    /// Rows of `A` per product, columns of `C`, inner size, strides, layout of `B`, scale,
    /// whether a bias is added and the activation: everything a primitive is specialised for.
    struct Shape: Hashable {
        let m: Int, n: Int, k: Int, lda: Int, ldb: Int, ldc: Int
        let transB: Bool
        let alpha: Float
        var bias = false
        var activation: Activation?
    }

    /// Primitives kept at most; beyond it the cache starts over (shapes of one model are few).
    static let cacheLimit = 512

    private struct Cache {
        var primitives: [Shape: Primitive] = [:]
        /// Shapes oneDNN only has non-native kernels for.
        var refused: Set<Shape> = []
        var fallbacks = 0
    }

    private static let cache = Locked(Cache())

    private static func primitive(for shape: Shape) -> Primitive? {
        if let found = cache.withLock({ $0.primitives[shape] }) { return found }
        if cache.withLock({ $0.refused.contains(shape) }) { return nil }
        let made = Primitive(shape)
        return cache.withLock { cache in
            guard let made, made.isNative else {
                cache.refused.insert(shape)
                return nil
            }
            if cache.primitives.count >= cacheLimit { cache.primitives.removeAll() }
            cache.primitives[shape] = made
            return made
        }
    }

    /// The product in f32 through OpenBLAS, from widened copies of the operands.
    private static func fallback(_ s: Shape, a: UnsafePointer<UInt16>, b: UnsafePointer<UInt16>, c: UnsafeMutablePointer<Float>,
                                 bias: UnsafePointer<Float>?) {
        cache.withLock { $0.fallbacks += 1 }
        let (bRows, bColumns) = s.transB ? (s.n, s.k) : (s.k, s.n)
        let wideA = UnsafeMutablePointer<Float>.allocate(capacity: s.m * s.k)
        let wideB = UnsafeMutablePointer<Float>.allocate(capacity: bRows * bColumns)
        defer { wideA.deallocate(); wideB.deallocate() }
        for i in 0..<s.m { HalfPrecision.convertToFloat(a + i * s.lda, dtype: .bf16, count: s.k, into: wideA + i * s.k) }
        for i in 0..<bRows { HalfPrecision.convertToFloat(b + i * s.ldb, dtype: .bf16, count: bColumns, into: wideB + i * bColumns) }
        GEMM.sgemm(transB: s.transB, m: s.m, n: s.n, k: s.k, alpha: s.alpha, a: wideA, lda: s.k, b: wideB, ldb: bColumns,
                   c: c, ldc: s.ldc)
        if let bias {
            for i in 0..<s.m { for j in 0..<s.n { c[i * s.ldc + j] += bias[j] } }
        }
    }

    /// The engine, and the implementation a small probe product gets (created on first use; its
    /// weight-shaped product always gets a brgemm kernel where the ISA has one).
    private static let probe: (native: Bool, implementation: String) = {
        guard let primitive = Primitive(Shape(m: 64, n: 64, k: 64, lda: 64, ldb: 64, ldc: 64, transB: true, alpha: 1)) else {
            return (false, "oneDNN has no bf16 matmul here")
        }
        let name = primitive.implementation
        return (name.contains("avx512_core_bf16") || name.contains("avx512_core_amx"), name)
    }()

    /// The CPU engine all primitives run on.
    // oneDNN engines are thread-safe handles, created once.
    nonisolated(unsafe) fileprivate static let engine: dnnl_engine_t? = {
        var engine: dnnl_engine_t?
        return dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success ? engine : nil
    }()

    /// Whether oneDNN's implementation name is one of its native bf16 kernels: the brgemm
    /// kernels name their ISA (`brg:avx512_core_bf16`, `…amx`); oneDNN's JIT bf16 GEMM
    /// (`gemm:jit`, which it picks for strided per-head operands) does not, and counts as native
    /// only once the probe has shown the CPU's bf16 ISA (it emulates elsewhere). `ref:` never does.
    static func isNativeImplementation(_ name: String) -> Bool {
        if name.contains("avx512_core_bf16") || name.contains("avx512_core_amx") { return true }
        return name == "gemm:jit" && probe.native
    }
}

/// One created matmul primitive, destroyed with the last reference (the cache's, or a caller's
/// still running it after the cache started over).
private final class Primitive: @unchecked Sendable {
    let primitive: dnnl_primitive_t
    let implementation: String
    let scratchpadBytes: Int
    private var source = dnnl_memory_desc_t(), weights = dnnl_memory_desc_t(), destination = dnnl_memory_desc_t()
    private var bias = dnnl_memory_desc_t()
    private let hasBias: Bool

    var isNative: Bool { OneDNNMatmul.isNativeImplementation(implementation) }

    /// A primitive for one thread (oneDNN plans its work split for the OpenMP thread count at
    /// creation).
    init?(_ s: OneDNNMatmul.Shape) {
        guard let engine = OneDNNMatmul.engine else { return nil }
        omp_set_num_threads(1)
        let ok = [
            dnnl_memory_desc_init_by_strides(&source, 2, [Int64(s.m), Int64(s.k)], dnnl_bf16, [Int64(s.lda), 1]),
            dnnl_memory_desc_init_by_strides(&weights, 2, [Int64(s.k), Int64(s.n)], dnnl_bf16,
                                             s.transB ? [1, Int64(s.ldb)] : [Int64(s.ldb), 1]),
            dnnl_memory_desc_init_by_strides(&destination, 2, [Int64(s.m), Int64(s.n)], dnnl_f32, [Int64(s.ldc), 1]),
            dnnl_memory_desc_init_by_strides(&bias, 2, [1, Int64(s.n)], dnnl_f32, [Int64(s.n), 1]),
        ].allSatisfy { $0 == dnnl_success }
        guard ok else { return nil }
        hasBias = s.bias
        var description = dnnl_matmul_desc_t()
        let described = s.bias ? dnnl_matmul_desc_init(&description, &source, &weights, &bias, &destination)
                               : dnnl_matmul_desc_init(&description, &source, &weights, nil, &destination)
        guard described == dnnl_success else { return nil }
        var attributes: dnnl_primitive_attr_t?
        guard dnnl_primitive_attr_create(&attributes) == dnnl_success else { return nil }
        defer { dnnl_primitive_attr_destroy(attributes) }
        dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user)
        if s.alpha != 1 {
            var scale = s.alpha
            dnnl_primitive_attr_set_output_scales(attributes, 1, 0, &scale)
        }
        if let activation = s.activation {
            var postOps: dnnl_post_ops_t?
            guard dnnl_post_ops_create(&postOps) == dnnl_success else { return nil }
            defer { dnnl_post_ops_destroy(postOps) }
            let (algorithm, alpha) = Self.eltwise(activation)
            guard dnnl_post_ops_append_eltwise(postOps, 1, algorithm, alpha, 0) == dnnl_success,
                  dnnl_primitive_attr_set_post_ops(attributes, postOps) == dnnl_success else { return nil }
        }
        var pd: dnnl_primitive_desc_t?
        guard dnnl_primitive_desc_create(&pd, &description, attributes, engine, nil) == dnnl_success, let pd else { return nil }
        defer { dnnl_primitive_desc_destroy(pd) }
        var name: UnsafePointer<CChar>?
        dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name)
        implementation = name.map { String(cString: $0) } ?? "unknown"
        scratchpadBytes = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0).map { dnnl_memory_desc_get_size($0) } ?? 0
        var created: dnnl_primitive_t?
        guard dnnl_primitive_create(&created, pd) == dnnl_success, let created else { return nil }
        primitive = created
    }

    deinit { dnnl_primitive_destroy(primitive) }

    /// oneDNN's element-wise algorithm (and its alpha) computing `activation`: CLIP's
    /// `quick_gelu` and SiLU are swish (`x · σ(alpha · x)`) with alpha 1.702 and 1.
    private static func eltwise(_ activation: Activation) -> (dnnl_alg_kind_t, Float) {
        switch activation {
        case .silu: return (dnnl_eltwise_swish, 1)
        case .quickGELU: return (dnnl_eltwise_swish, 1.702)
        case .gelu: return (dnnl_eltwise_gelu_erf, 0)
        case .geluTanh: return (dnnl_eltwise_gelu_tanh, 0)
        }
    }

    /// Runs the product on this thread alone, with a scratchpad of its own.
    func run(a: UnsafePointer<UInt16>, b: UnsafePointer<UInt16>, c: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?) {
        precondition((bias != nil) == hasBias, "a matmul primitive run with\(hasBias ? "out" : "") the bias it was made for")
        omp_set_num_threads(1)   // this thread's OpenMP setting: oneDNN starts no team
        BufferPool.withScratch(byteCount: scratchpadBytes) { scratch in run(a: a, b: b, c: c, bias: bias, scratch: scratch) }
    }

    private func run(a: UnsafePointer<UInt16>, b: UnsafePointer<UInt16>, c: UnsafeMutablePointer<Float>, bias biasValues: UnsafePointer<Float>?,
                     scratch: UnsafeMutableRawPointer) {
        let engine = OneDNNMatmul.engine
        var stream: dnnl_stream_t?
        var memories: [dnnl_memory_t?] = [nil, nil, nil, nil, nil]
        defer {
            memories.forEach { if let m = $0 { dnnl_memory_destroy(m) } }
            if let stream { dnnl_stream_destroy(stream) }
        }
        var padMD = dnnl_memory_desc_t()
        var status = dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue)
        status = status == dnnl_success ? dnnl_memory_create(&memories[0], &source, engine, UnsafeMutableRawPointer(mutating: a)) : status
        status = status == dnnl_success ? dnnl_memory_create(&memories[1], &weights, engine, UnsafeMutableRawPointer(mutating: b)) : status
        status = status == dnnl_success ? dnnl_memory_create(&memories[2], &destination, engine, c) : status
        if status == dnnl_success {
            let dims: [Int64] = [Int64(max(scratchpadBytes, 64))]
            dnnl_memory_desc_init_by_tag(&padMD, 1, dims, dnnl_u8, dnnl_a)
            status = dnnl_memory_create(&memories[3], &padMD, engine, scratch)
        }
        if status == dnnl_success, let biasValues {
            status = dnnl_memory_create(&memories[4], &bias, engine, UnsafeMutableRawPointer(mutating: biasValues))
        }
        precondition(status == dnnl_success, "oneDNN could not set up a matmul (status \(status.rawValue))")
        var arguments = [
            dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: memories[0]),
            dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: memories[1]),
            dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: memories[2]),
            dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: memories[3]),
        ]
        if hasBias { arguments.append(dnnl_exec_arg_t(arg: DNNL_ARG_BIAS, memory: memories[4])) }
        status = dnnl_primitive_execute(primitive, stream, Int32(arguments.count), &arguments)
        if status == dnnl_success { status = dnnl_stream_wait(stream) }
        precondition(status == dnnl_success, "oneDNN matmul failed (status \(status.rawValue))")
    }
}
