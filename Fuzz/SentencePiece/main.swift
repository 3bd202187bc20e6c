import FuzzSupport
import Tokenizer

/// libFuzzer target: a SentencePiece `tokenizer.model` read and converted
/// (`Tokenizer(sentencePieceModel:)`), then a fixed text encoded and decoded with it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSentencePiece(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    FuzzInput.withFile(data, size, suffix: ".model") { path in
        let tokenizer = try Tokenizer(sentencePieceModel: path)
        let ids = tokenizer.encode("Hello wörld <s> 123 🙂")
        _ = tokenizer.decode(ids)
    }
    return 0
}

/// The executable's entry (SwiftPM calls it `fuzz_sentencepiece_main`): libFuzzer's driver over the input.
@_cdecl("fuzz_sentencepiece_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzzSentencePiece($0, $1) }
}
