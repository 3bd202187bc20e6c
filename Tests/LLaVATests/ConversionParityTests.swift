import Foundation
import LLaVA
import LLaVAConversion
import Tensors
import TestSupport
import Testing
import Tokenizer
import WeightIO

/// `LLaVAConverter` on the tiny fixtures: every layout converted to every other, the result run
/// through the whole pipeline from files against transformers' references (prefill logits
/// max |Δ| ≤ 1e-4), tensor by tensor against the source, and round trips.
@Suite struct ConversionParityTests {
    static let sources = ["tiny-llava-hf", "tiny-llava-hf-v5", "tiny-llava-hf-new", "tiny-llava-original"]
    static let targets: [LLaVALayout] = [.huggingFace, .huggingFaceNew, .original]
    /// The tiny tokenizer's own vocabulary (without <image> and <pad>).
    static let realVocabulary = 456
    /// The fixtures' llava-hf image token id.
    static let fixtureImageID = 457

    /// LLaVA-1.5: llava-hf targets match the llava-hf reference (the llava-hf template, centre crop,
    /// `<image>` expanded); original targets match the original reference (llava_v1, the chunked
    /// −200 tokenisation, pad to square) and read their tower from the CLIP folder written inside.
    @Test(arguments: sources, targets)
    func llava15(source: String, target: LLaVALayout) throws {
        let scratch = try TemporaryDirectory()
        let report = try Conversion.run(Conversion.llava + "/" + source, into: scratch, "out", layout: target)
        let expected = try SafeTensorsFile(path: Conversion.llava + "/expected.safetensors")
        let (prompt, logits, model) = try Conversion.prefill(folder: report.destination, image: Conversion.llava + "/sample.png")
        #expect(model.checkpoint.layout == target)
        if target == .original {
            #expect(model.checkpoint.visionFolder == report.destination + "/vision_tower")
            #expect(model.config.aspectMode == .padToSquare)
            #expect(prompt.expandedIDs(imageTokenID: -200, tokensPerImage: [1]) == (try expected.tensor("original_ids_marked").integers))
            #expect(maxAbsDiff(logits, try expected.tensor("original_logits_last").floats) <= 1e-4)
        } else {
            let expanded = prompt.expandedIDs(imageTokenID: Self.fixtureImageID, tokensPerImage: [64])
            #expect(expanded == (try expected.tensor("input_ids").integers))
            let reference = try expected.tensor("logits_last").floats
            #expect(logits.count == 512)
            // Rows past the real vocabulary are transformers' random rows in the fixture, mean rows
            // after padding an original checkpoint: compare the real vocabulary, all of it otherwise.
            let compared = source == "tiny-llava-original" ? Self.realVocabulary : reference.count
            #expect(maxAbsDiff(Array(logits.prefix(compared)), Array(reference.prefix(compared))) <= 1e-4)
        }
        try Self.checkAgainstSource(report)
    }

    /// Each written tensor equals its source tensor (dtype kept): whole, or on the rows both
    /// have; padded rows are the f64 mean of the source rows, rounded to f32 then to the dtype.
    static func checkAgainstSource(_ report: ConversionReport) throws {
        for (recipe, tensor) in try Conversion.written(report) {
            let source = try recipe.store.tensor(recipe.sourceName)
            #expect(tensor.dtype == (recipe.dtype), "\(recipe.name)")
            let reference = recipe.dtype == source.dtype ? source : source.converted(to: recipe.dtype)
            switch recipe.rows {
            case .all:
                #expect(Conversion.bytes(tensor) == Conversion.bytes(reference), "\(recipe.name)")
            case .first(let n):
                #expect(tensor.shape == [n, source.shape[1]])
                #expect(Conversion.bytes(tensor) == Conversion.bytes(reference, rows: n), "\(recipe.name)")
            case .padded(let n):
                let (r, d) = (source.shape[0], source.shape[1])
                #expect(tensor.shape == [n, d])
                #expect(Conversion.bytes(tensor, rows: r) == Conversion.bytes(reference), "\(recipe.name)")
                let values = source.floats
                let mean = (0..<d).map { c in Float((0..<r).reduce(0.0) { $0 + Double(values[$1 * d + c]) } / Double(r)) }
                let meanBytes = Conversion.bytes(Tensor(shape: [d], values: mean).converted(to: recipe.dtype))
                let all = Conversion.bytes(tensor), rowBytes = all.count / n
                for row in r..<n { #expect(Array(all[(row * rowBytes)..<((row + 1) * rowBytes)]) == meanBytes, "\(recipe.name) row \(row)") }
            }
        }
    }

    /// original → llava-hf → original gives back every tensor bit for bit (the CLIP folder's too),
    /// every config field but mm_vision_tower, and the same tokenizer.
    @Test func originalRoundTripIsIdentical() throws {
        let scratch = try TemporaryDirectory()
        let source = Conversion.llava + "/tiny-llava-original"
        let hf = try Conversion.run(source, into: scratch, "hf", layout: .huggingFace)
        let back = try Conversion.run(hf.destination, into: scratch, "back", layout: .original)
        let original = try Conversion.tensors(of: source)
        let clip = try Conversion.tensors(of: Conversion.llava + "/tiny-clip")
        let result = try Conversion.tensors(of: back.destination)
        #expect(result.count == original.count + clip.count)
        for (name, tensor) in original {
            #expect(result[name].map { $0.dtype == tensor.dtype && $0.shape == tensor.shape && Conversion.bytes($0) == Conversion.bytes(tensor) } == true, "\(name)")
        }
        for (name, tensor) in clip {
            #expect(result["clip:" + name].map { $0.shape == tensor.shape && Conversion.bytes($0) == Conversion.bytes(tensor) } == true, "\(name)")
        }
        let before = try JSON.parse(contentsOf: source + "/config.json").objectValue!
        let after = try JSON.parse(contentsOf: back.destination + "/config.json").objectValue!
        for (key, value) in before where key != "mm_vision_tower" { #expect(after[key] == value, "config field \(key)") }
        #expect(after["mm_vision_tower"] == .string("vision_tower"))
        #expect(Set(after.keys) == Set(before.keys))
        let clipBefore = try JSON.parse(contentsOf: Conversion.llava + "/tiny-clip/config.json").objectValue!
        let clipAfter = try JSON.parse(contentsOf: back.destination + "/vision_tower/config.json").objectValue!
        for (key, value) in clipBefore where key != "architectures" { #expect(clipAfter[key] == value, "CLIP config field \(key)") }

        let tokenizer = try Tokenizer(folder: source), roundTripped = try Tokenizer(folder: back.destination)
        #expect(roundTripped.vocabularySize == tokenizer.vocabularySize)
        #expect(roundTripped.id(of: "<image>") == nil && roundTripped.id(of: "<pad>") == nil)
        let text = "USER: <image>\nWhat is shown in this picture? ASSISTANT:"
        #expect(roundTripped.encode(text) == tokenizer.encode(text))
        let hfTokenizer = try Tokenizer(folder: hf.destination)
        #expect(hfTokenizer.id(of: "<image>") == 456 && hfTokenizer.id(of: "<pad>") == 457 && hfTokenizer.padID == 457)
    }

    /// llava-hf → original → llava-hf: every tensor equal except the padding rows (transformers'
    /// random rows become mean rows); the model config equal except the token ids, which follow
    /// the HF conversion (<image> = vocabulary, <pad> = vocabulary + 1; the fixture has them the
    /// other way round).
    @Test(arguments: ["tiny-llava-hf", "tiny-llava-hf-new"])
    func huggingFaceRoundTrip(source name: String) throws {
        let scratch = try TemporaryDirectory()
        let source = Conversion.llava + "/" + name
        let layout: LLaVALayout = name.hasSuffix("new") ? .huggingFaceNew : .huggingFace
        let original = try Conversion.run(source, into: scratch, "original", layout: .original)
        let back = try Conversion.run(original.destination, into: scratch, "back", layout: layout)
        // By canonical name: the newer layout's tower is written as model.vision_tower.vision_model.*
        // (transformers 4.52+), the fixture has transformers 5's model.vision_tower.*.
        func canonical(_ tensors: [String: Tensor]) -> [String: Tensor] {
            Dictionary(uniqueKeysWithValues: tensors.map { (layout.names.canonical(for: $0.key) ?? $0.key, $0.value) })
        }
        let before = canonical(try Conversion.tensors(of: source)), after = canonical(try Conversion.tensors(of: back.destination))
        #expect(Set(before.keys) == Set(after.keys))
        for (key, tensor) in before {
            guard let other = after[key] else { continue }
            #expect(other.shape == tensor.shape, "\(key)")
            let padded = key.hasSuffix("embed_tokens.weight") || key.hasSuffix("lm_head.weight")
            #expect(Conversion.bytes(other, rows: padded ? Self.realVocabulary : nil) == Conversion.bytes(tensor, rows: padded ? Self.realVocabulary : nil), "\(key)")
        }
        let a = try LLaVAModel(folder: source).config, b = try LLaVAModel(folder: back.destination).config
        #expect(a.text == b.text && a.vision == b.vision && a.featureLayers == b.featureLayers && a.selection == b.selection)
        #expect(a.aspectMode == b.aspectMode && a.modelType == b.modelType && a.projectorActivation == b.projectorActivation)
        #expect(b.imageTokenIndex == 456)
    }

    static let nextCases: [(folder: String, kind: String)] = [("tiny-next-vicuna", "vicuna"), ("tiny-next-mistral", "mistral"),
                                                               ("tiny-next-original", "vicuna")]

    /// LLaVA-NeXT: each layout to llava-hf and original; anyres, pinpoints and image_newline survive,
    /// the tower stays inside; logits match transformers on the wide image.
    @Test(arguments: nextCases, [LLaVALayout.huggingFace, .original])
    func next(source: (folder: String, kind: String), target: LLaVALayout) throws {
        let scratch = try TemporaryDirectory()
        let report = try Conversion.run(Conversion.next + "/" + source.folder, into: scratch, "out", layout: target)
        #expect(report.plan.isNeXT && report.plan.folders.count == 1)
        let expected = try SafeTensorsFile(path: Conversion.next + "/expected.safetensors")
        let template: PromptTemplate = source.kind == "mistral" ? .mistralInstruct : .llavaV1
        let (_, logits, model) = try Conversion.prefill(folder: report.destination, image: Conversion.next + "/wide.png", template: template)
        #expect(model.checkpoint.layout == target && model.config.aspectMode == .anyres)
        #expect(model.config.gridPinpoints.map { [$0.height, $0.width] } == [[56, 112], [112, 56], [112, 112], [168, 56], [56, 168]])
        let reference = try expected.tensor("\(source.kind)_wide_logits").floats
        let compared = min(logits.count, Self.realVocabulary)
        // Only llava-hf → original slices the vocabulary (the original NeXT fixture is already padded).
        let sliced = target == .original && source.folder != "tiny-next-original"
        #expect(logits.count == (sliced ? Self.realVocabulary : 512))
        #expect(maxAbsDiff(Array(logits.prefix(compared)), Array(reference.prefix(compared))) <= 1e-4)
        try Self.checkAgainstSource(report)
    }
}
