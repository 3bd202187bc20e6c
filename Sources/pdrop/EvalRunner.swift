import Evaluation
import Foundation
import Imaging
import LLaVA
import PyramidDrop
import Tensors
import Transformer
import WeightIO

/// Which metric scores the answers: chosen per sample, or one for all.
enum MetricChoice {
    case auto
    case fixed(Metric)

    init?(_ name: String) {
        if name == "auto" { self = .auto; return }
        guard let metric = Metric(rawValue: name) else { return nil }
        self = .fixed(metric)
    }

    func metric(for sample: EvalSample) -> Metric {
        switch self {
        case .auto: return Metric.choose(for: sample)
        case .fixed(let metric): return metric
        }
    }
}

/// Runs one shard of an evaluation: every sample under every policy (`none` first, for
/// agreement), greedy, appending a record per answer to the shard's results and skipping what a
/// previous run of the same shard already wrote.
struct EvalRunner {
    let modelPath: String
    let pipeline: LLaVAPipeline
    let policies: [String]
    let maxNewTokens: Int
    let promptSuffix: String?
    let metric: MetricChoice
    /// Each sample's tower outputs, computed once for all its policies.
    let cache = ImageFeatureCache(capacityBytes: 1 << 30)

    init(model: ModelOptions, compute: ComputeMode, policies: [String], maxNewTokens: Int, promptSuffix: String?,
         metric: MetricChoice) throws {
        modelPath = model.model
        pipeline = try model.pipeline(compute: compute)
        self.policies = policies
        self.maxNewTokens = maxNewTokens
        self.promptSuffix = promptSuffix
        self.metric = metric
    }

    /// A policy as `--policies` spells it (`visionzip:64`: a budget after the colon).
    static func request(_ spelling: String) -> PolicyRequest { PolicyRequest(spelling) }

    func run(data: String, out: String, shard: ShardSpec, limit: Int?) throws {
        let (all, digest) = try EvalDataset.load(data)
        let total = min(limit ?? all.count, all.count)
        let samples = shard.select(all, limit: limit)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let manifest = ShardManifest(data: data, dataSHA256: digest, totalSamples: total, shard: shard,
                                     ids: samples.map(\.id), policies: policies, model: modelPath,
                                     compute: pipeline.model.computePaths.language.description, maxNewTokens: maxNewTokens,
                                     promptSuffix: promptSuffix, version: Eval.version)
        let manifestPath = ShardManifest.path(in: out, shard: shard)
        if FileManager.default.fileExists(atPath: manifestPath) {
            if let conflict = manifest.conflict(with: try ShardManifest.read(manifestPath)) {
                throw EvaluationError.invalid("\(manifestPath) belongs to another run (it differs in \(conflict)); use another --out")
            }
        } else {
            try manifest.write(to: manifestPath)
        }
        let log = try ResultLog(path: out + "/" + shard.name + ".jsonl")
        if log.repairedTornLine { FileHandle.standardError.write(Data("[pdrop eval] \(log.path): cut off a torn last line; redoing it\n".utf8)) }
        var done = Set(log.records.map { $0.policy + "\u{0}" + $0.id })
        var noneAnswers: [String: String] = [:]
        for record in log.records where record.policy == "none" { noneAnswers[record.id] = record.answer }
        let finished = samples.filter { sample in policies.allSatisfy { done.contains($0 + "\u{0}" + sample.id) } }.count
        let progress = EvalProgress(total: samples.count, alreadyDone: finished)
        var count = finished
        for sample in samples {
            let remaining = policies.filter { !done.contains($0 + "\u{0}" + sample.id) }
            guard !remaining.isEmpty else { continue }
            let image = Result { try sample.image.map { try ModelLoading.imageDecoder(for: pipeline.model).decode(contentsOf: $0) } }
            for policy in remaining {
                progress.update(done: count, policy: policy)
                var record: EvalRecord
                if sample.question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    record = EvalRecord(id: sample.id, policy: policy, error: "empty question")
                } else {
                    do {
                        record = try answer(sample, image: try image.get(), policy: policy)
                    } catch {
                        record = EvalRecord(id: sample.id, policy: policy, error: "\(error)")
                    }
                }
                if policy == "none" {
                    noneAnswers[sample.id] = record.answer
                } else if let answer = record.answer, let reference = noneAnswers[sample.id] {
                    record.agreement = answer == reference
                }
                try log.append(record)
                done.insert(policy + "\u{0}" + sample.id)
            }
            count += 1
        }
        progress.update(done: count, policy: "done")
        progress.finish()
    }

    /// The question as the model sees it: a multiple-choice question's options as lettered lines,
    /// then the suffix (LLaVA's evaluation instruction by default).
    func question(_ sample: EvalSample) -> String {
        var text = sample.question
        for (index, choice) in sample.choices.enumerated() { text += "\n\(Character(Unicode.Scalar(UInt8(65 + index % 26)))). \(choice)" }
        let suffix = promptSuffix ?? (sample.choices.isEmpty ? "Answer the question using a single word or phrase."
                                                             : "Answer with the option's letter from the given choices directly.")
        return suffix.isEmpty ? text : text + "\n" + suffix
    }

    func answer(_ sample: EvalSample, image: RGBImage?, policy spelling: String) throws -> EvalRecord {
        let llava = pipeline.model
        let policy = try Self.request(spelling).make(layerCount: llava.config.text.layerCount)
        let images = image.map { [$0] } ?? []
        let text = try llava.checkpoint.defaultTemplate.render(question(sample), images: images.count)
        let visionStart = Date()
        let (_, state, cached) = try pipeline.prompt(text: text, images: images, policy: policy, cache: cache)
        let visionSeconds = Date().timeIntervalSince(visionStart)
        let options = GenerationOptions(maxNewTokens: maxNewTokens, stopTokenIDs: pipeline.stopTokenIDs,
                                        eligibleVocabulary: pipeline.eligibleVocabulary)
        let result = try Generator(model: llava.language, policy: policy).generate(prompt: state, options: options) { _ in true }
        var record = EvalRecord(id: sample.id, policy: spelling)
        let answer = pipeline.tokenizer.decode(result.tokens).trimmingCharacters(in: .whitespacesAndNewlines)
        record.answer = answer
        let chosen = metric.metric(for: sample)
        record.score = chosen.score(answer, sample: sample)
        if record.score != nil { record.metric = chosen.rawValue }
        let promptTokens = state.unprunedCount
        record.imageTokens = result.trace.imageTokens
        record.imageTokensPerLayer = result.trace.imageTokensPerLayer
        record.flops = RunReport.flops(result.trace, promptTokens: promptTokens, shape: llava.language.shape)
        (record.visionSeconds, record.prefillSeconds, record.decodeSeconds) = (visionSeconds, result.prefillSeconds, result.decodeSeconds)
        record.completionTokens = result.tokens.count
        record.visionCached = cached > 0
        return record
    }
}
