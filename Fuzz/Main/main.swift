import CFuzzDriver
import FuzzTargets

// `pdrop-fuzz TARGET [libFuzzer options] [CORPUS ...]`: libFuzzer over one `FuzzTarget`. Built
// only with PDROP_FUZZ=1 and `-sanitize=fuzzer,address` (scripts/fuzz.sh builds and runs it).

/// The target chosen on the command line (set once, before libFuzzer starts).
nonisolated(unsafe) private var target = FuzzTarget.json

/// libFuzzer's per-input callback (its runtime also links a main that names this symbol).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    target.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// The executable's entry (SwiftPM calls it `pdrop_fuzz_main`): picks the target, then hands
/// libFuzzer the program name and everything after TARGET.
@_cdecl("pdrop_fuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guard argc >= 2, let argv, let name = argv[1].map({ String(cString: $0) }), let chosen = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        print("usage: pdrop-fuzz TARGET [libFuzzer options] [CORPUS ...]; targets: \(names)")
        return 2
    }
    target = chosen
    chosen.prepare()
    argv[1] = argv[0]
    return pd_fuzz_run(argc - 1, argv + 1) { fuzzOneInput($0, $1) }
}
