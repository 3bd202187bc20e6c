import Imaging
import Serving
import WeightIO

/// The text formats under fuzzing: JSON (every config.json, tokenizer.json and request body goes
/// through it) and the chat-completions request parser behind it.
enum TextFormatTargets {
    static func json(_ bytes: UnsafeRawBufferPointer) {
        let text = String(decoding: bytes, as: UTF8.self)
        if let value = try? JSON.parse(text, source: "fuzz.json") { precondition(!value.serialized().isEmpty) }
    }

    /// The server's limits, small: data URLs up to 1 MB, images up to 1 megapixel.
    private static let images = ImageLoader(maxBytes: 1_000_000, decoder: ImageDecoder(pixelLimit: 1_000_000, alpha: .compositeOnWhite))

    static func chatRequest(_ bytes: UnsafeRawBufferPointer) {
        guard let request = try? ChatCompletionRequest(body: Array(bytes)) else { return }
        precondition(!request.messages.isEmpty)
        _ = request.sampler(fallbackSeed: 0)
        for image in request.images where image.url.hasPrefix("data:") { _ = try? images.load(image) }
    }
}
