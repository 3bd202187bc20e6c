import ArgumentParser
import Foundation
import WeightIO
import LLaVA
import Tokenizer

/// `pdrop tokenize`: how a model folder's tokenizer splits a prompt (and the inverse, `--decode`).
struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show how a model folder's tokenizer splits text: one 'id<TAB>piece' line per token.")

    @Option(help: "Model folder with tokenizer.json (or tokenizer.model).")
    var model: String

    @Option(help: "The text (exact UTF-8; otherwise --file or standard input).")
    var text: String?

    @Option(help: "Read the text from this file (exact bytes).")
    var file: String?

    @Flag(help: "Print only the ids, comma-separated on one line.")
    var ids = false

    @Flag(help: "Print {\"ids\", \"pieces\", \"decoded\"} as JSON.")
    var json = false

    @Flag(help: "Do not add the post-processor's special tokens (BOS).")
    var noBos = false

    @Option(help: "Render this chat template around the text first (\(PromptTemplate.allCases.map(\.rawValue).joined(separator: ", "))); <image> stays one token.")
    var template: String?

    @Option(help: "Decode these comma-separated ids instead of encoding.")
    var decode: String?

    func validate() throws {
        if ids && json { throw ValidationError("--ids and --json are exclusive") }
        if text != nil && file != nil { throw ValidationError("give the text with --text or --file, not both") }
    }

    func run() throws {
        let tokenizer = try Tokenizer(folder: model)
        if let decode {
            let list = try decode.split(separator: ",").map { part -> Int in
                guard let id = Int(part.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("--decode: '\(part)' is not an integer id") }
                return id
            }
            print(tokenizer.decode(list, skipSpecialTokens: false))
            return
        }
        var input = try readText()
        if let template { input = try PromptTemplate(name: template).render(input) }
        // A tokenizer that knows <image> shows its id; the original LLaVA tokenizers encode the
        // chunks around <image> separately, and the slot shows as the repository's
        // IMAGE_TOKEN_INDEX (−200).
        let knownImageID = tokenizer.id(of: PromptTemplate.imagePlaceholder)
        let imageID = knownImageID ?? Self.originalImageTokenIndex
        let prompt = tokenizer.llavaPrompt(input, addSpecialTokens: !noBos)
        let tokenIDs = prompt.pieces.map { piece in
            if case .text(let id) = piece { return id } else { return imageID }
        }
        let pieces = prompt.pieces.map { piece in
            if case .text(let id) = piece { return tokenizer.token(of: id) ?? "?" } else { return PromptTemplate.imagePlaceholder }
        }
        if ids {
            print(tokenIDs.map(String.init).joined(separator: ","))
        } else if json {
            let decoded = tokenizer.decode(knownImageID != nil ? tokenIDs : prompt.textIDs, skipSpecialTokens: false)
            print(JSON.object(["ids": .array(tokenIDs.map { .int($0) }), "pieces": .array(pieces.map { .string($0) }),
                               "decoded": .string(decoded)]).serialized())
        } else {
            for (id, piece) in zip(tokenIDs, pieces) { print("\(id)\t\(piece)") }
        }
    }

    /// The original LLaVA repository's `IMAGE_TOKEN_INDEX`, shown for an image slot when the
    /// tokenizer has no `<image>` token.
    static let originalImageTokenIndex = -200

    /// The text from --text, --file or standard input, as exact UTF-8.
    private func readText() throws -> String {
        if let text { return text }
        let bytes: [UInt8]
        let source: String
        if let file {
            bytes = try FileBytes.read(file)
            source = file
        } else {
            bytes = Array(FileHandle.standardInput.readDataToEndOfFile())
            source = "standard input"
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CLIError("\(source): the text is not valid UTF-8")
        }
        return text
    }
}
