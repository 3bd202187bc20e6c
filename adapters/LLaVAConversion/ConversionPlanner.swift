import Foundation
import LLaVA
import Tensors
import WeightIO

/// Decides a conversion from the source folder: every tensor read through the source layout's
/// name table into canonical names and written through the target's, the vocabulary padded or
/// sliced, configs and tokenizer files rewritten for the target.
struct ConversionPlanner {
    let source: String
    let options: ConversionOptions

    /// A source tensor behind a canonical name.
    private struct Origin {
        let store: WeightStore
        let name: String
    }

    private static let embedTokens = "language_model.embed_tokens.weight"
    private static let lmHead = "lm_head.weight"
    private static let patchEmbedding = "vision_tower.embeddings.patch_embedding.weight"

    func plan() throws -> ConversionPlan {
        if let pair = try GGUFPair.inFolder(source) {
            return try GGUFImport.plan(pair, options: options)
        }
        let store = try WeightStore(path: source)
        let layout = try LLaVALayout.detect(store)
        let configPath = source + "/config.json"
        guard FileManager.default.fileExists(atPath: configPath) else { throw LLaVAError.missingFile(path: source, what: "config.json") }
        guard let config = try JSON.parse(contentsOf: configPath).objectValue else {
            throw ConversionError.unsupportedConfig(path: configPath, field: "(top level)", reason: "expected a JSON object")
        }
        if let type = config["model_type"]?.stringValue, !["llava", "llava_next", "llava_llama", "llava_mistral", "llama", "mistral"].contains(type) {
            throw ConversionError.unsupportedConfig(path: configPath, field: "model_type",
                                                    reason: "'\(type)' is not converted (LLaVA-1.5 and LLaVA-NeXT only; pdrop run reads LLaVA-OneVision folders as they are)")
        }
        let fromHF = layout != .original, toHF = options.layout != .original
        let next = fromHF ? config["model_type"]?.stringValue == "llava_next"
            : config["image_aspect_ratio"]?.stringValue?.hasPrefix("anyres") == true
        var notes: [String] = []

        // Tensors by canonical name.
        var origins: [String: Origin] = [:]
        var dropped: [String] = [], skipped: [String] = []
        func collect(_ store: WeightStore, _ map: TensorNameMap, layoutName: String, skipUnknown: Bool) throws {
            for name in store.names {
                if TensorNameMap.isDroppedBuffer(name) {
                    dropped.append(name)
                    continue
                }
                switch map.read(name) {
                case .canonical(let canonical):
                    if let other = origins[canonical] { throw ConversionError.duplicateTensor(name: canonical, first: other.name, second: name) }
                    origins[canonical] = Origin(store: store, name: name)
                case .refused(let prefix):
                    throw ConversionError.refusedTensor(name: name, prefix: prefix, path: store.path)
                case .unknown:
                    guard skipUnknown else { throw ConversionError.unmappedTensor(name: name, layout: layoutName, path: store.path) }
                    skipped.append(name)
                }
            }
        }
        try collect(store, layout.names, layoutName: layout.rawValue, skipUnknown: false)

        // The original LLaVA-1.5 layout keeps the tower in a separate CLIP folder.
        var visionFolder: String?
        if origins[Self.patchEmbedding] == nil {
            guard layout == .original else {
                throw LLaVAError.unknownLayout(path: source, hint: "no CLIP vision tower tensors (…embeddings.patch_embedding.weight)")
            }
            visionFolder = try options.visionTower ?? LLaVACheckpoint.localVisionTower(folder: source)
            if let visionFolder {
                try collect(try WeightStore(path: visionFolder), .clipFolder, layoutName: "CLIP", skipUnknown: true)
                guard origins[Self.patchEmbedding] != nil else {
                    throw LLaVAError.unknownLayout(path: visionFolder, hint: "no vision_model.embeddings.patch_embedding.weight")
                }
            } else if toHF || next {
                throw ConversionError.missingVisionTower(path: source, reference: config["mm_vision_tower"]?.stringValue ?? "(none)")
            } else {
                notes.append("vision tower: not found locally; mm_vision_tower kept as '\(config["mm_vision_tower"]?.stringValue ?? "")'")
            }
        } else if options.visionTower != nil {
            notes.append("--vision-tower ignored: the checkpoint holds its vision tower")
        }
        guard let embed = origins[Self.embedTokens], let embedInfo = embed.store.info(embed.name), embedInfo.shape.count == 2 else {
            throw ConversionError.badTensor(name: layout.languageModel.embedTokens, path: source, reason: "missing or not 2-D")
        }
        let rows = embedInfo.shape[0]
        if let head = origins[Self.lmHead], head.store.info(head.name)?.shape != embedInfo.shape {
            throw ConversionError.badTensor(name: head.name, path: source, reason: "shape \(head.store.info(head.name)?.shape ?? []) differs from the embedding's \(embedInfo.shape)")
        }

        // Vocabulary and tokenizer files.
        var files = try TokenizerFiles(folder: source)
        if files.files["preprocessor_config.json"] == nil, let visionFolder,
           FileManager.default.fileExists(atPath: visionFolder + "/preprocessor_config.json") {
            files.files["preprocessor_config.json"] = try FileBytes.read(visionFolder + "/preprocessor_config.json")
        }
        var rowChange = TensorRecipe.Rows.all
        var tokenIDs: (image: Int, pad: Int)?
        var vocabulary = rows
        if !fromHF && toHF {
            let growth = try VocabularyResize.grow(folder: source, files: files, rows: rows)
            try files.add(growth.added, image: VocabularyResize.imageToken, pad: (VocabularyResize.padToken, growth.padID))
            tokenIDs = (growth.imageID, growth.padID)
            vocabulary = growth.rows
            if growth.rows > rows {
                rowChange = .padded(to: growth.rows)
                notes.append("vocabulary: embed_tokens and lm_head padded from \(rows) to \(growth.rows) rows with their mean row")
            }
            notes.append("tokens: <image> = \(growth.imageID), <pad> = \(growth.padID)"
                + (growth.added.isEmpty ? " (already in the tokenizer)" : " (added to the tokenizer files)"))
        } else if fromHF && !toHF {
            let shrink = try VocabularyResize.shrink(folder: source, files: files, config: config, rows: rows)
            let tokenizerConfig = try files.files["tokenizer_config.json"].map { try JSON.parse(String(decoding: $0, as: UTF8.self), source: source + "/tokenizer_config.json") }
            try files.remove(shrink.removed, unk: tokenizerConfig?["unk_token"])
            vocabulary = shrink.vocabulary
            if shrink.vocabulary < rows {
                rowChange = .first(shrink.vocabulary)
                notes.append("vocabulary: embed_tokens and lm_head sliced from \(rows) to the tokenizer's \(shrink.vocabulary) rows")
            }
            if !shrink.removed.isEmpty {
                notes.append("tokens: " + shrink.removed.map { "\($0.content) (\($0.id))" }.joined(separator: ", ") + " removed from the tokenizer files")
            }
        }

        // The vision config: llava-hf's, the CLIP folder's, or read off the tower's shapes.
        let visionConfig: [String: JSON]
        if fromHF {
            visionConfig = config["vision_config"]?.objectValue ?? [:]
        } else if let visionFolder, FileManager.default.fileExists(atPath: visionFolder + "/config.json") {
            let clip = try JSON.parse(contentsOf: visionFolder + "/config.json")
            visionConfig = (clip["vision_config"] ?? clip).objectValue ?? [:]
        } else if let tower = origins[Self.patchEmbedding] {
            let prefix = String(tower.name.dropLast("embeddings.patch_embedding.weight".count))
            visionConfig = ConfigTranslation.visionConfig(try LLaVACheckpoint.inferVisionConfig(tower.store, prefix: prefix))
        } else {
            visionConfig = [:]
        }

        // Where the tower goes: the original LLaVA-1.5 layout names a separate CLIP folder.
        let hasTower = origins[Self.patchEmbedding] != nil
        let separateTower = !toHF && !next && hasTower
        if separateTower {
            notes.append("vision tower: written as a CLIP folder '\(ConversionPlan.visionTowerFolder)' inside the destination (mm_vision_tower)")
        }

        // Recipes.
        var main: [TensorRecipe] = [], tower: [TensorRecipe] = []
        var written: [String: String] = [:]
        for canonical in origins.keys.sorted(by: Self.naturalOrder) {
            let origin = origins[canonical]!
            let isTower = canonical.hasPrefix("vision_tower.")
            let map = separateTower && isTower ? TensorNameMap.clipFolder : options.layout.names
            guard let name = map.stored(for: canonical) else {
                throw ConversionError.noTargetName(canonical: canonical, layout: separateTower && isTower ? "CLIP folder" : options.layout.rawValue)
            }
            if let other = written[name] { throw ConversionError.duplicateTensor(name: name, first: other, second: origin.name) }
            written[name] = origin.name
            let rows = canonical == Self.embedTokens || canonical == Self.lmHead ? rowChange : .all
            let recipe = try TensorRecipe(name: name, canonical: canonical, store: origin.store, sourceName: origin.name,
                                          rows: rows, dtype: options.dtype)
            if separateTower && isTower { tower.append(recipe) } else { main.append(recipe) }
        }

        // config.json.
        var target: [String: JSON]
        switch (fromHF, toHF) {
        case (true, true):
            target = config
        case (false, false):
            target = config
            if separateTower { target["mm_vision_tower"] = .string(ConversionPlan.visionTowerFolder) }
        case (false, true):
            target = try ConfigTranslation.huggingFace(fromOriginal: config, path: configPath, vision: visionConfig,
                                                       imageID: tokenIDs!.image, padID: tokenIDs!.pad, vocabulary: vocabulary, next: next)
        case (true, false):
            let towerName = separateTower ? ConversionPlan.visionTowerFolder : "openai/clip-vit-large-patch14-336"
            target = try ConfigTranslation.original(fromHuggingFace: config, path: configPath, vocabulary: vocabulary,
                                                    visionTower: towerName, next: next)
        }
        if let dtype = options.dtype { ConfigTranslation.declare(dtype, in: &target) }
        var mainFiles = files.files
        mainFiles["config.json"] = Self.jsonBytes(target)

        var folders = [ConversionPlan.Folder(relativePath: "", tensors: main, files: mainFiles)]
        if separateTower {
            var clip = ConfigTranslation.clipFolder(vision: visionConfig)
            if let dtype = options.dtype { ConfigTranslation.declare(dtype, in: &clip) }
            var towerFiles = ["config.json": Self.jsonBytes(clip)]
            towerFiles["preprocessor_config.json"] = files.files["preprocessor_config.json"]
            folders.append(ConversionPlan.Folder(relativePath: ConversionPlan.visionTowerFolder, tensors: tower, files: towerFiles))
        }
        return ConversionPlan(sourceLayout: layout, targetLayout: options.layout, isNeXT: next, folders: folders,
                              droppedTensors: dropped, skippedTensors: skipped, ignoredFiles: ignoredFiles(store, visionFolder: visionFolder), notes: notes)
    }

    static func jsonBytes(_ object: [String: JSON]) -> [UInt8] {
        Array((JSON.object(object).serialized(pretty: true) + "\n").utf8)
    }

    /// Files of the source folder that are not carried: neither weights, indexes, config.json,
    /// `TokenizerFiles.carried` nor the CLIP folder that was merged.
    private func ignoredFiles(_ store: WeightStore, visionFolder: String?) -> [String] {
        let weights = Set(store.sources.map { URL(fileURLWithPath: $0.path).lastPathComponent })
        let tower = visionFolder.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: source)) ?? []
        return names.filter { name in
            !weights.contains(name) && !TokenizerFiles.carried.contains(name) && name != "config.json"
                && !name.hasSuffix(".index.json") && !name.hasPrefix(".")
                && URL(fileURLWithPath: source + "/" + name).standardizedFileURL.path != tower
        }.sorted()
    }

    /// Orders names with digit runs compared as numbers (`layers.2` before `layers.10`).
    static func naturalOrder(_ a: String, _ b: String) -> Bool {
        func runs(_ s: String) -> [(text: Substring, number: Int?)] {
            var result: [(Substring, Int?)] = []
            var start = s.startIndex
            while start < s.endIndex {
                let digit = s[start].isASCII && s[start].isNumber
                let end = s[start...].firstIndex { ($0.isASCII && $0.isNumber) != digit } ?? s.endIndex
                let run = s[start..<end]
                result.append((run, digit && run.count < 18 ? Int(run) : nil))
                start = end
            }
            return result
        }
        for (x, y) in zip(runs(a), runs(b)) where x.text != y.text {
            if let m = x.number, let n = y.number, m != n { return m < n }
            return x.text < y.text
        }
        return runs(a).count < runs(b).count
    }
}
