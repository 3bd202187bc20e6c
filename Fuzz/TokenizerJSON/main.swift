import FuzzSupport
import Tokenizer

/// libFuzzer target: a `tokenizer.json` read and built (`Tokenizer(tokenizerJSON:)`), then a fixed
/// text with spaces, accents, an emoji and special-token text encoded and decoded with it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizerJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    FuzzInput.withFile(data, size, suffix: ".json") { path in
        let tokenizer = try Tokenizer(tokenizerJSON: path)
        _ = tokenizer.decode(tokenizer.encode("Hello  wörld <s></s> 123 🙂\n\tend"))
    }
    return 0
}

/// The executable's entry (SwiftPM calls it `fuzz_tokenizer_json_main`): libFuzzer's driver over the input.
@_cdecl("fuzz_tokenizer_json_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzzTokenizerJSON($0, $1) }
}
