import Foundation
import LLaVA
import LLaVAConversion
import Tensors
import TestSupport
import Testing
import WeightIO

/// What `LLaVAConverter` promises besides parity: dtype conversion equal to `Tensor.converted(to:)`
/// (round to nearest even), size-bounded shards with a valid index, nothing left behind by a failed
/// conversion, existing destinations refused, the name tables read both ways.
@Suite struct ConversionBehaviourTests {
    static let expectedPath = Conversion.llava + "/expected.safetensors"

    /// Names of the entries of `folder` (hidden ones included).
    static func contents(_ folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    }

    /// A copy of a fixture folder inside `scratch`, optionally with extra tensors in its weights.
    static func copy(_ fixture: String, into scratch: TemporaryDirectory, extra: [(String, Tensor)] = []) throws -> String {
        let destination = scratch.path("src")
        try FileManager.default.copyItem(atPath: fixture, toPath: destination)
        if !extra.isEmpty {
            let tensors = try loadSafeTensors(fixture + "/model.safetensors").sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            try SafeTensorsWriter.write((tensors + extra).map { (name: $0.0, tensor: $0.1) }, to: destination + "/model.safetensors")
        }
        return destination
    }

    // MARK: - dtypes

    /// original → llava-hf in each dtype: every tensor (padded rows included) equals the source's
    /// `converted(to:)`; the config declares the dtype; f32 → bf16 equals f16 → bf16 directly.
    @Test(arguments: [DType.f32, .f16, .bf16])
    func dtypeConversion(dtype: DType) throws {
        let scratch = try TemporaryDirectory()
        let report = try Conversion.run(Conversion.llava + "/tiny-llava-original", into: scratch, "out", layout: .huggingFace, dtype: dtype)
        try ConversionParityTests.checkAgainstSource(report)
        for (_, tensor) in try Conversion.written(report) { #expect(tensor.dtype == dtype) }
        let config = try JSON.parse(contentsOf: report.destination + "/config.json")
        let name = ["f32": "float32", "f16": "float16", "bf16": "bfloat16"][dtype.rawValue.lowercased()]!
        #expect(config["dtype"] == .string(name) && config["text_config"]?["dtype"] == .string(name))
        if dtype == .bf16 {
            let wide = try Conversion.run(Conversion.llava + "/tiny-llava-hf", into: scratch, "f32", layout: .huggingFace, dtype: .f32)
            let narrow = try Conversion.run(wide.destination, into: scratch, "bf16", layout: .huggingFace, dtype: .bf16)
            let direct = try Conversion.run(Conversion.llava + "/tiny-llava-hf", into: scratch, "direct", layout: .huggingFace, dtype: .bf16)
            let a = try Conversion.tensors(of: narrow.destination), b = try Conversion.tensors(of: direct.destination)
            #expect(a.count == b.count)
            for (key, tensor) in a { #expect(b[key].map { Conversion.bytes($0) == Conversion.bytes(tensor) } == true, "\(key)") }
        }
    }

    /// Ties round to the even neighbour, overflow gives infinity — the bits torch's
    /// `.to(torch.bfloat16)` / `.half()` produce for these values.
    @Test func roundsToNearestEven() throws {
        let scratch = try TemporaryDirectory()
        let bits: [UInt32] = [0x3F80_0000, 0x3F80_8000, 0x3F81_8000, 0x3F80_8001, 0xBF80_8000, 0x7F7F_FFFF, // bf16 cases
                              0x3F80_1000, 0x3F80_3000, 0x477F_F000, 0x477F_E000]                        // f16 cases
        let values = bits.map { Float(bitPattern: $0) }
        let file = scratch.path("x.safetensors")
        try SafeTensorsWriter.write([(name: "x", tensor: Tensor(shape: [values.count], values: values))], to: file)
        let store = try WeightStore(path: file)
        func halves(_ dtype: DType) throws -> [UInt16] {
            let tensor = try TensorRecipe(name: "x", canonical: "x", store: store, sourceName: "x", dtype: dtype).produce()
            #expect(Conversion.bytes(tensor) == Conversion.bytes(Tensor(shape: [values.count], values: values).converted(to: dtype)))
            return (0..<values.count).map { tensor.rawBytes.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self) }
        }
        #expect(Array(try halves(.bf16).prefix(6)) == [0x3F80, 0x3F80, 0x3F82, 0x3F81, 0xBF80, 0x7F80])
        // 1 + 2⁻¹¹ and 1 + 3·2⁻¹¹ are f16 ties; 65520 overflows to infinity, 65504 is the largest half.
        #expect(Array(try halves(.f16).suffix(4)) == [0x3C00, 0x3C02, 0x7C00, 0x7BFF])
    }

    // MARK: - shards

    /// A tiny shard limit gives several transformers-named shards and an index that `WeightStore`
    /// reads; every shard stays under the limit; the model still matches transformers.
    @Test func smallShardsMakeAValidIndex() throws {
        let scratch = try TemporaryDirectory()
        let limit = 40_000
        let report = try Conversion.run(Conversion.llava + "/tiny-llava-hf", into: scratch, "out", layout: .huggingFace,
                                        maxShardSize: try ShardSize(bytes: limit))
        let shards = report.files.filter { $0.hasSuffix(".safetensors") }
        #expect(shards.count > 1)
        for (i, shard) in shards.enumerated() {
            #expect(shard == String(format: "model-%05d-of-%05d.safetensors", i + 1, shards.count))
            let file = try SafeTensorsFile(path: report.destination + "/" + shard)
            let bytes = file.entries.values.reduce(0) { $0 + $1.range.count }
            #expect(bytes <= limit || file.names.count == 1)
        }
        let index = try JSON.parse(contentsOf: report.destination + "/model.safetensors.index.json")
        #expect(try index.requireInt("metadata", "total_size") == report.plan.byteCount)
        let map = try index.requireObject("weight_map")
        #expect(map.count == 134 && Set(map.values.compactMap(\.stringValue)) == Set(shards))
        #expect(try WeightStore(path: report.destination).names.count == 134)
        let (_, logits, _) = try Conversion.prefill(folder: report.destination, image: Conversion.llava + "/sample.png")
        #expect(maxAbsDiff(logits, try SafeTensorsFile(path: Self.expectedPath).tensor("logits_last").floats) <= 1e-4)
    }

    @Test func shardSizes() throws {
        let cases: [(String, Int)] = [("5GB", 5_000_000_000), ("500MB", 500_000_000), ("2GiB", 2_147_483_648), ("1.5 GB", 1_500_000_000),
                                      ("1000000", 1_000_000), ("10kb", 10_000), ("64KiB", 65_536), ("3M", 3_000_000), ("7b", 7)]
        for (text, bytes) in cases { #expect(try ShardSize(parsing: text).bytes == bytes, "\(text)") }
        for bad in ["", "GB", "-5GB", "5XB", "0", "1.2.3MB", "0.1B", "five"] {
            #expect(throws: ConversionError.invalidShardSize(bad)) { try ShardSize(parsing: bad) }
        }
        #expect(ShardSize.default.bytes == 5_000_000_000)
    }

    // MARK: - failures

    /// A conversion stopped mid-write (its progress callback throws after some shards were
    /// written) leaves neither the destination nor its temporary folder.
    @Test func cancelledConversionLeavesNothing() throws {
        let scratch = try TemporaryDirectory()
        nonisolated(unsafe) var seen = 0
        let converter = LLaVAConverter(source: Conversion.llava + "/tiny-llava-original",
                                       options: ConversionOptions(maxShardSize: try ShardSize(bytes: 30_000)))
        #expect(throws: ConversionError.cancelled) {
            try converter.convert(to: scratch.path("out")) { progress in
                seen = progress.tensorsDone
                if progress.tensorsDone >= 60 { throw ConversionError.cancelled }
            }
        }
        #expect(seen == 60)
        #expect(try Self.contents(scratch.path) == [])
    }

    /// Source tensors no rule maps, or that the original layout refuses, stop the conversion
    /// before anything is written.
    @Test(arguments: [("tiny-llava-hf", "mystery.weight"), ("tiny-llava-original", "model.mm_projector.1.weight"),
                      ("tiny-llava-hf", "multi_modal_projector.linear_1.weight")])
    func badTensorsAreRefused(fixture: String, extra: String) throws {
        let scratch = try TemporaryDirectory()
        let source = try Self.copy(Conversion.llava + "/" + fixture, into: scratch, extra: extra.hasPrefix("multi") ? [] : [(extra, Tensor(zeros: [2]))])
        if extra.hasPrefix("multi") {
            // Two stored names for one canonical tensor: the llava-hf tower under both prefixes.
            var tensors = try loadSafeTensors(source + "/model.safetensors")
            tensors["vision_tower.pre_layrnorm.weight"] = tensors["vision_tower.vision_model.pre_layrnorm.weight"]
            try SafeTensorsWriter.write(tensors.sorted { $0.key < $1.key }.map { (name: $0.key, tensor: $0.value) }, to: source + "/model.safetensors")
        }
        let error = #expect(throws: ConversionError.self) {
            try LLaVAConverter(source: source, options: ConversionOptions(layout: .original)).convert(to: scratch.path("out"))
        }
        #expect(error?.description.contains(extra.hasPrefix("multi") ? "pre_layrnorm.weight" : extra) == true)
        #expect(try Self.contents(scratch.path) == ["src"])
    }

    /// The original LLaVA-1.5 layout without its CLIP folder: llava-hf needs it (an error naming
    /// mm_vision_tower, fixed by `visionTower`); original → original keeps mm_vision_tower as is.
    @Test func originalWithoutItsCLIPFolder() throws {
        let scratch = try TemporaryDirectory()
        let source = try Self.copy(Conversion.llava + "/tiny-llava-original", into: scratch)
        #expect(throws: ConversionError.missingVisionTower(path: source, reference: "../tiny-clip")) {
            try LLaVAConverter(source: source).convert(to: scratch.path("hf"))
        }
        #expect(try Self.contents(scratch.path) == ["src"])
        let merged = try LLaVAConverter(source: source, options: ConversionOptions(visionTower: Conversion.llava + "/tiny-clip"))
            .convert(to: scratch.path("hf"))
        #expect(merged.plan.tensorCount == 134)
        let kept = try Conversion.run(source, into: scratch, "original", layout: .original, dtype: .f32)
        #expect(kept.plan.folders.count == 1 && kept.plan.notes.contains { $0.contains("mm_vision_tower kept") })
        #expect(try JSON.parse(contentsOf: kept.destination + "/config.json")["mm_vision_tower"] == .string("../tiny-clip"))
    }

    /// A sentencepiece-only tokenizer (tokenizer.model, no tokenizer.json): the embedding rows are
    /// the vocabulary, the new tokens go to added_tokens.json, and back again from the config's ids.
    @Test func sentencepieceOnlyTokenizer() throws {
        let scratch = try TemporaryDirectory()
        let source = try Self.copy(Conversion.llava + "/tiny-llava-original", into: scratch)
        try FileManager.default.removeItem(atPath: source + "/tokenizer.json")
        let model = try scratch.write(Array("not really sentencepiece".utf8), to: "src/tokenizer.model")
        let hf = try LLaVAConverter(source: source, options: ConversionOptions(visionTower: Conversion.llava + "/tiny-clip"))
            .convert(to: scratch.path("hf"))
        #expect(try FileBytes.read(hf.destination + "/tokenizer.model") == (try FileBytes.read(model)))
        #expect(try JSON.parse(contentsOf: hf.destination + "/added_tokens.json") == .object(["<image>": .int(456), "<pad>": .int(457)]))
        let tokenizerConfig = try JSON.parse(contentsOf: hf.destination + "/tokenizer_config.json")
        #expect(tokenizerConfig["pad_token"] == .string("<pad>") && tokenizerConfig["additional_special_tokens"] == .array([.string("<image>")]))
        let config = try JSON.parse(contentsOf: hf.destination + "/config.json")
        #expect(config["image_token_index"] == .int(456) && config["pad_token_id"] == .int(457) && config["text_config"]?["vocab_size"] == .int(512))
        let back = try Conversion.run(hf.destination, into: scratch, "back", layout: .original)
        #expect(try JSON.parse(contentsOf: back.destination + "/added_tokens.json") == .object([:]))
        #expect(try JSON.parse(contentsOf: back.destination + "/config.json")["vocab_size"] == .int(456))
        #expect(try WeightStore(path: back.destination).info("model.embed_tokens.weight")?.shape == [456, 32])
    }

    /// An existing destination is refused and left untouched; with `overwrite` it is replaced,
    /// and nothing else remains beside it.
    @Test func existingDestination() throws {
        let scratch = try TemporaryDirectory()
        let destination = scratch.path("out")
        try scratch.write(Array("old".utf8), to: "out/old.txt")
        let source = Conversion.llava + "/tiny-llava-hf"
        #expect(throws: ConversionError.destinationExists(path: destination)) { try LLaVAConverter(source: source).convert(to: destination) }
        #expect(try Self.contents(destination) == ["old.txt"])
        try LLaVAConverter(source: source, options: ConversionOptions(overwrite: true)).convert(to: destination)
        #expect(!(try Self.contents(destination)).contains("old.txt"))
        #expect(try Self.contents(destination).contains("model.safetensors"))
        #expect(try Self.contents(scratch.path) == ["out"])
    }

    @Test func destinationMustNotOverlapTheSource() throws {
        let scratch = try TemporaryDirectory()
        let source = try Self.copy(Conversion.llava + "/tiny-llava-hf", into: scratch)
        for destination in [source, source + "/inside", scratch.path] {
            #expect(throws: ConversionError.self) {
                try LLaVAConverter(source: source, options: ConversionOptions(overwrite: true)).convert(to: destination)
            }
        }
        #expect(try Self.contents(source) == (try Self.contents(Conversion.llava + "/tiny-llava-hf")))
    }

    // MARK: - names

    @Test func nameTablesReadAndWriteBothWays() {
        let original = LLaVALayout.original.names, hf = LLaVALayout.huggingFace.names, new = LLaVALayout.huggingFaceNew.names
        #expect(original.canonical(for: "model.image_newline") == "image_newline")
        #expect(original.canonical(for: "model.layers.3.mlp.up_proj.weight") == "language_model.layers.3.mlp.up_proj.weight")
        #expect(original.canonical(for: "model.mm_projector.2.bias") == "multi_modal_projector.linear_2.bias")
        #expect(original.read("model.mm_projector.1.weight") == .refused(prefix: "model.mm_projector."))
        #expect(original.read("model.vision_tower.weird") == .refused(prefix: "model.vision_tower."))
        #expect(hf.read("mystery") == .unknown)
        // transformers 5 writes the tower without vision_model.: read, but never written.
        #expect(hf.canonical(for: "vision_tower.encoder.layers.0.mlp.fc1.weight") == "vision_tower.encoder.layers.0.mlp.fc1.weight")
        #expect(hf.stored(for: "vision_tower.encoder.layers.0.mlp.fc1.weight") == "vision_tower.vision_model.encoder.layers.0.mlp.fc1.weight")
        #expect(new.stored(for: "lm_head.weight") == "lm_head.weight" && hf.stored(for: "lm_head.weight") == "language_model.lm_head.weight")
        let canonical = ["language_model.embed_tokens.weight", "language_model.layers.10.self_attn.q_proj.weight", "language_model.norm.weight",
                         "lm_head.weight", "multi_modal_projector.linear_1.weight", "multi_modal_projector.linear_2.bias",
                         "vision_tower.embeddings.patch_embedding.weight", "vision_tower.post_layernorm.bias", "image_newline"]
        for layout in LLaVALayout.allCases {
            for name in canonical {
                let stored = layout.names.stored(for: name)
                #expect(stored.flatMap(layout.names.canonical(for:)) == name, "\(layout) \(name)")
            }
        }
        #expect(TensorNameMap.clipFolder.stored(for: "vision_tower.pre_layrnorm.weight") == "vision_model.pre_layrnorm.weight")
        #expect(TensorNameMap.clipFolder.read("text_model.embeddings.token_embedding.weight") == .unknown)
        #expect(TensorNameMap.isDroppedBuffer("model.layers.0.self_attn.rotary_emb.inv_freq"))
        #expect(TensorNameMap.isDroppedBuffer("vision_model.embeddings.position_ids"))
        #expect(!TensorNameMap.isDroppedBuffer("vision_model.embeddings.position_embedding.weight"))
    }
}
