import FuzzSupport
import WeightIO

/// libFuzzer target: `GGUFFile(path:)` on the input, then every metadata value and every
/// tensor's bytes read (what `pdrop inspect` and the loaders touch).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGGUF(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    FuzzInput.withFile(data, size, suffix: ".gguf") { path in
        let file = try GGUFFile(path: path)
        var sink = 0
        for (key, value) in file.metadata { sink &+= key.utf8.count &+ "\(value)".utf8.count }
        for tensor in file.tensors { sink &+= Int(file.bytes(of: tensor).last ?? 0) }
        precondition(sink != Int.min)
    }
    return 0
}

/// The executable's entry (SwiftPM calls it `fuzz_gguf_main`): libFuzzer's driver over the input.
@_cdecl("fuzz_gguf_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzzGGUF($0, $1) }
}
