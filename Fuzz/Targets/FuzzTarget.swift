/// One parser entry point under fuzzing: the public API users call, fed one input's bytes. The
/// libFuzzer executable (`pdrop-fuzz TARGET …`, built by `scripts/fuzz.sh`) and the regression
/// replay in `swift test` (every file of `Fuzz/Regressions/TARGET/`) both go through `run`.
///
/// Each target reads what it parsed as a user's next step would (every tensor, every metadata
/// value, an encode and decode), so that a parser accepting what it should refuse shows up as a
/// crash or sanitizer report further on. Refusals (thrown errors) are the expected outcome for
/// most inputs and are ignored; anything else — a trap, an out-of-bounds access, a leak, an input
/// taking over a second or 512 MB — is a finding.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `GGUFFile(path:)`, then every metadata value and tensor.
    case gguf
    /// `SafeTensorsFile(path:)`, then every tensor as floats.
    case safetensors
    /// `TorchCheckpoint(path:)` (ZIP reader and restricted unpickler), then every tensor.
    case torch
    /// `JSON.parse` (json-c and the duplicate-key scanner), then the value serialized again.
    case json
    /// `Tokenizer(sentencePieceModel:)` (protobuf reader), then an encode and decode.
    case sentencepiece
    /// `Tokenizer(tokenizerJSON:)`, then an encode and decode of a text with hard cases.
    case tokenizerJSON = "tokenizer-json"
    /// The committed LLaMA, Metaspace and Qwen2 tokenizers encoding the input as text, then
    /// decoding it at once and streamed.
    case tokenizerText = "tokenizer-text"
    /// `ImageDecoder.decode` under a 4-megapixel limit (JPEG, PNG, BMP, GIF by signature).
    case image
    /// `ChatCompletionRequest(body:)`, then its images' data URLs decoded as the server would.
    case chatRequest = "chat-request"

    /// Builds what the target keeps for every input (the committed tokenizers), before the first
    /// input: libFuzzer counts what an input allocates and does not free as leaked.
    public func prepare() {
        if self == .tokenizerText { TokenizerTargets.prepare() }
    }

    /// Feeds `bytes` to the target's parser.
    public func run(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .gguf: WeightFileTargets.gguf(bytes)
        case .safetensors: WeightFileTargets.safetensors(bytes)
        case .torch: WeightFileTargets.torch(bytes)
        case .json: TextFormatTargets.json(bytes)
        case .sentencepiece: TokenizerTargets.sentencePiece(bytes)
        case .tokenizerJSON: TokenizerTargets.tokenizerJSON(bytes)
        case .tokenizerText: TokenizerTargets.text(bytes)
        case .image: ImageTarget.decode(bytes)
        case .chatRequest: TextFormatTargets.chatRequest(bytes)
        }
    }
}
