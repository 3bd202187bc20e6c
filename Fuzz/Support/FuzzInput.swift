import CFuzzDriver
import Foundation

/// The bytes of one fuzz input as a file, for parsers whose public entry point is a path (the
/// same API users call). One file per process, rewritten for every input, under /dev/shm when
/// it exists (no disk traffic).
public enum FuzzInput {
    private static let path: String = {
        let folder = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        return "\(folder)/pdrop-fuzz-\(getpid())"
    }()

    /// Calls `body` with the path of a file holding `size` bytes from `data`, named with `suffix`.
    public static func withFile(_ data: UnsafePointer<UInt8>, _ size: Int, suffix: String = "", _ body: (String) throws -> Void) {
        let file = path + suffix
        let handle = fopen(file, "wb")!
        if size > 0 { fwrite(data, 1, size, handle) }
        fclose(handle)
        try? body(file)
    }
}

/// libFuzzer's driver with main's arguments (`-max_total_time`, corpus folders, …) over `input`.
public func runFuzzer(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                      _ input: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32 {
    pd_fuzz_run(argc, argv, input)
}
