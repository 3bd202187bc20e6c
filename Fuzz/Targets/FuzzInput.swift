import Foundation

/// The bytes of one fuzz input as a file, for parsers whose public entry point is a path (the
/// same API users call). One file per process, rewritten for every input, under /dev/shm when
/// it exists (no disk traffic).
enum FuzzInput {
    private static let path: String = {
        let folder = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        return "\(folder)/pdrop-fuzz-\(getpid())"
    }()

    /// Calls `body` with the path of a file holding `bytes`, named with `suffix`; errors `body`
    /// throws are the parser refusing the input, which is what most inputs should get.
    static func withFile(_ bytes: UnsafeRawBufferPointer, suffix: String, _ body: (String) throws -> Void) {
        let file = path + suffix
        guard let handle = fopen(file, "wb") else { fatalError("cannot write the fuzz input file \(file)") }
        if !bytes.isEmpty { fwrite(bytes.baseAddress!, 1, bytes.count, handle) }
        fclose(handle)
        defer { unlink(file) }
        try? body(file)
    }
}
