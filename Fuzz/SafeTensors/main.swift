import FuzzSupport
import WeightIO

/// libFuzzer target: `SafeTensorsFile(path:)` on the input, then every tensor read as floats
/// where its dtype allows (the header validation and the conversions users hit).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    FuzzInput.withFile(data, size, suffix: ".safetensors") { path in
        let file = try SafeTensorsFile(path: path)
        var sink: Float = 0
        for name in file.names {
            let tensor = try file.tensor(name)
            if tensor.dtype.isFloatReadable { sink += tensor.toFloat32().floats.first ?? 0 }
        }
        precondition(!sink.isSignalingNaN)
    }
    return 0
}

/// The executable's entry (SwiftPM calls it `fuzz_safetensors_main`): libFuzzer's driver over the input.
@_cdecl("fuzz_safetensors_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzzSafeTensors($0, $1) }
}
