import FuzzSupport
import WeightIO

/// libFuzzer target: `JSON.parse` (json-c plus the duplicate-key scanner) on the input as text,
/// then the parsed value serialized again.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let value = try? JSON.parse(text, source: "fuzz.json") { precondition(!value.serialized().isEmpty) }
    return 0
}

/// The executable's entry (SwiftPM calls it `fuzz_json_main`): libFuzzer's driver over the input.
@_cdecl("fuzz_json_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzzJSON($0, $1) }
}
