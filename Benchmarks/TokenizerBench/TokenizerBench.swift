import Foundation
import Tokenizer

/// Encode throughput of the Tokenizer module.
///
///     swift run -c release tokenizer-bench [TOKENIZER_JSON_OR_FOLDER …] [--file TEXT] [--megabytes N]
///                                          [--expect-ids FILE]
///
/// Without paths it measures the five fixture tokenizers in Tests/Fixtures/tokenizer (four
/// LLaMA-style, one Qwen2-style byte-level). The text is N MB (default 1) of mixed prose (mostly
/// English, some accented Latin, CJK and emoji), or the given file. Prints the best of 5 runs
/// (encode with special tokens). `--expect-ids` compares the ids of the first tokenizer with a file
/// of space-separated ids (e.g. from Python `tokenizers`).
@main
struct TokenizerBench {
    static func main() throws {
        var paths: [String] = []
        var file: String?
        var megabytes = 1.0
        var expected: String?
        var arguments = CommandLine.arguments.dropFirst().makeIterator()
        while let argument = arguments.next() {
            switch argument {
            case "--file": file = arguments.next()
            case "--megabytes": megabytes = Double(arguments.next() ?? "") ?? megabytes
            case "--expect-ids": expected = arguments.next()
            default: paths.append(argument)
            }
        }
        if paths.isEmpty {
            let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Tests/Fixtures/tokenizer").path
            paths = ["legacy", "metaspace", "metaspace-split", "metaspace-never", "bytelevel"].map { "\(fixtures)/\($0)" }
        }
        let text = try file.map { try String(contentsOfFile: $0, encoding: .utf8) } ?? sampleText(bytes: Int(megabytes * 1_000_000))
        let size = Double(text.utf8.count) / 1_000_000
        print(String(format: "text: %.2f MB", size))
        for path in paths {
            var isFolder: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
            let tokenizer = isFolder.boolValue ? try Tokenizer(folder: path) : try Tokenizer(tokenizerJSON: path)
            var best = Double.infinity
            var count = 0
            for _ in 0..<5 {
                let start = DispatchTime.now().uptimeNanoseconds
                count = tokenizer.encode(text).count
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            let ids = tokenizer.encode(text)
            if let file = expected, path == paths.first {
                let reference = try String(contentsOfFile: file, encoding: .utf8).split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
                print(reference == ids ? "ids match \(file)" : "IDS DIFFER from \(file) (\(ids.count) vs \(reference.count))")
            }
            let decodeStart = DispatchTime.now().uptimeNanoseconds
            let decoded = tokenizer.decode(ids)
            let decodeSeconds = Double(DispatchTime.now().uptimeNanoseconds - decodeStart) / 1e9
            let name = path.hasSuffix(".json") ? ((path as NSString).deletingLastPathComponent as NSString).lastPathComponent + "/" + (path as NSString).lastPathComponent
                : (path as NSString).lastPathComponent
            print(String(format: "%@: encode %.1f MB/s (%.3f s, %d tokens), decode %.1f MB/s", name,
                         size / best, best, count, Double(decoded.utf8.count) / 1e6 / decodeSeconds))
        }
    }

    /// Deterministic mixed text of about `bytes` bytes.
    static func sampleText(bytes: Int) -> String {
        let pieces = """
        The quick brown fox jumps over the lazy dog. A language model reads tokens one after another, \
        and predicts the next token from the ones before it. Images are split into patches; each patch \
        becomes a visual token. PyramidDrop keeps the most important image tokens at each stage. \
        USER: What is shown in this image? ASSISTANT: A cat is sitting on a wooden table next to a cup of tea. \
        Le café est très bon, et la crème brûlée aussi. Der Bär läuft über die Straße. \
        for i in range(10): print(i, i * i)  # 2024, 3.14159, $19.99 \
        日本語のテキストも少し含まれています。 中文文本也包括在内。 Emoji 😀 🚀 🐱 ❤️
        """.split(separator: " ").map(String.init)
        var state: UInt64 = 0x1234_5678
        var out = ""
        out.reserveCapacity(bytes + 64)
        while out.utf8.count < bytes {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            out += pieces[Int(state >> 33) % pieces.count]
            out += (state >> 20) % 13 == 0 ? "\n" : " "
        }
        return out
    }
}
