import Foundation

/// The bytes of one fuzz input as a file, for parsers whose public entry point is a path (the
/// same API users call): a new file for every input (`mkstemps`, so that concurrent replays in
/// `swift test` never share one), under /dev/shm when it exists (no disk traffic), removed after.
enum FuzzInput {
    private static let folder = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()

    /// Calls `body` with the path of a file holding `bytes`, named with `suffix`; errors `body`
    /// throws are the parser refusing the input, which is what most inputs should get.
    static func withFile(_ bytes: UnsafeRawBufferPointer, suffix: String, _ body: (String) throws -> Void) {
        var template = Array("\(folder)/pdrop-fuzz-XXXXXX\(suffix)".utf8CString)
        let descriptor = mkstemps(&template, Int32(suffix.utf8.count))
        guard descriptor >= 0 else { fatalError("cannot create a fuzz input file in \(folder)") }
        let file = String(cString: template)
        defer { unlink(file) }
        var written = 0
        while written < bytes.count {
            let count = write(descriptor, bytes.baseAddress! + written, bytes.count - written)
            guard count > 0 else { fatalError("cannot write the fuzz input file \(file)") }
            written += count
        }
        close(descriptor)
        try? body(file)
    }
}
