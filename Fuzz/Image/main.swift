import FuzzSupport
import Imaging

/// libFuzzer target: `ImageDecoder.decode` on the input bytes (JPEG through libjpeg-turbo,
/// PNG/BMP/GIF through stb, told apart by their signatures) with a pixel limit of 4 million, so
/// that a header claiming more is refused before anything is allocated.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let image = try? ImageDecoder(pixelLimit: 4_000_000, alpha: .compositeOnWhite).decode(bytes, source: "fuzz") {
        precondition(image.width > 0 && image.height > 0)
    }
    return 0
}

/// The executable's entry (SwiftPM calls it `fuzz_image_main`): libFuzzer's driver over the input.
@_cdecl("fuzz_image_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzzImage($0, $1) }
}
