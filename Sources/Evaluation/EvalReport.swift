import Foundation
import WeightIO

/// The merged results of every shard of one evaluation folder, refusing anything that would make
/// the figures wrong: a missing shard, shards of different runs, an id in two shards, a result
/// twice, or samples not finished.
public struct EvalReport: Sendable {
    public let manifests: [ShardManifest]
    /// Per policy, in `--policies` order.
    public let summaries: [PolicySummary]
    /// Every record, shard by shard.
    public let records: [EvalRecord]

    /// Merges the shards in `folder`.
    public init(folder: String) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let manifestNames = names.filter { $0.hasPrefix("shard-") && $0.hasSuffix(".manifest.json") }.sorted()
        guard !manifestNames.isEmpty else {
            throw EvaluationError.invalid("\(folder): no shard manifests (shard-I-of-N.manifest.json); run pdrop eval --out \(folder) first")
        }
        let manifests = try manifestNames.map { try ShardManifest.read(folder + "/" + $0) }.sorted { $0.shard.index < $1.shard.index }
        let first = manifests[0]
        for manifest in manifests.dropFirst() {
            let file = ShardManifest.path(in: folder, shard: manifest.shard)
            if manifest.shard.count != first.shard.count {
                throw EvaluationError.invalid("\(file): a run of \(manifest.shard.count) shards beside one of \(first.shard.count) in the same folder")
            }
            if let conflict = manifest.conflict(with: first) {
                throw EvaluationError.invalid("\(file): another run than shard \(first.shard) (differs in \(conflict))")
            }
        }
        let present = Set(manifests.map(\.shard.index))
        if let missing = (0..<first.shard.count).first(where: { !present.contains($0) }) {
            throw EvaluationError.invalid("\(folder): shard \(missing) of \(first.shard.count) has not started (no shard-\(missing)-of-\(first.shard.count).manifest.json)")
        }
        var owner: [String: ShardSpec] = [:]
        for manifest in manifests {
            for id in manifest.ids {
                if let other = owner.updateValue(manifest.shard, forKey: id) {
                    throw EvaluationError.invalid("\(folder): id \"\(id)\" is in shard \(other) and shard \(manifest.shard)")
                }
            }
        }
        guard owner.count == first.totalSamples else {
            throw EvaluationError.invalid("\(folder): the shards hold \(owner.count) samples, the run \(first.totalSamples)")
        }
        var all: [EvalRecord] = []
        for manifest in manifests { all += try Self.records(of: manifest, in: folder) }
        self.manifests = manifests
        records = all
        let baseline = first.policies.contains("none")
            ? PolicySummary(policy: "none", records: all.filter { $0.policy == "none" }, baselinePrefill: nil).prefillSeconds : nil
        summaries = first.policies.map { policy in
            PolicySummary(policy: policy, records: all.filter { $0.policy == policy }, baselinePrefill: policy == "none" ? nil : baseline)
        }
    }

    /// One shard's records, checked against its manifest: every id under every policy exactly once.
    static func records(of manifest: ShardManifest, in folder: String) throws -> [EvalRecord] {
        let path = folder + "/" + manifest.shard.name + ".jsonl"
        let records = FileManager.default.fileExists(atPath: path) ? try ResultLog.read(path).records : []
        let ids = Set(manifest.ids), policies = Set(manifest.policies)
        var seen = Set<String>()
        for record in records {
            guard ids.contains(record.id), policies.contains(record.policy) else {
                throw EvaluationError.invalid("\(path): a result for id \"\(record.id)\" under \(record.policy), which its manifest does not list")
            }
            guard seen.insert(record.policy + "\u{0}" + record.id).inserted else {
                throw EvaluationError.invalid("\(path): id \"\(record.id)\" under \(record.policy) appears twice")
            }
        }
        let missing = manifest.ids.flatMap { id in manifest.policies.filter { !seen.contains($0 + "\u{0}" + id) }.map { "\(id) under \($0)" } }
        if !missing.isEmpty {
            throw EvaluationError.invalid("shard \(manifest.shard): \(missing.count) of \(manifest.ids.count * manifest.policies.count) results missing (\(missing.prefix(3).joined(separator: ", "))\(missing.count > 3 ? ", …" : "")); rerun that shard to finish it")
        }
        return records
    }

    /// A Markdown table, a row per policy.
    public var markdown: String {
        func percent(_ value: Double?) -> String { value.map { String(format: "%.1f %%", 100 * $0) } ?? "–" }
        var lines = [
            "| policy | answered | errors | score | agreement with none | image tokens | FLOPs ratio (paper / whole prompt) | prefill | speed-up | tokens/s |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for s in summaries {
            let metric = s.metrics.isEmpty ? "" : " (" + s.metrics.joined(separator: ", ") + ")"
            lines.append("| \(s.policy) | \(s.answered) | \(s.errors) | \(percent(s.score))\(s.score == nil ? "" : metric) | \(percent(s.agreement)) | "
                         + String(format: "%.1f | %.2f× / %.2f× | %.3f s | ", s.meanImageTokens, s.flopsRatioPaper, s.flopsRatioWholePrompt, s.prefillSeconds)
                         + (s.prefillSpeedup.map { String(format: "%.2f×", $0) } ?? "–") + String(format: " | %.1f |", s.tokensPerSecond))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The summaries and the run's description as JSON (`report.json`).
    public var json: JSON {
        let first = manifests[0]
        func optional(_ value: Double?) -> JSON { value.map(JSON.double) ?? .null }
        return .object([
            "data": .string(first.data), "data_sha256": .string(first.dataSHA256), "samples": .int(first.totalSamples),
            "shards": .int(first.shard.count), "model": .string(first.model), "compute": .string(first.compute),
            "version": .string(first.version),
            "policies": .array(summaries.map { s in
                .object([
                    "policy": .string(s.policy), "answered": .int(s.answered), "errors": .int(s.errors), "score": optional(s.score),
                    "metrics": .array(s.metrics.map(JSON.string)), "agreement": optional(s.agreement),
                    "mean_image_tokens": .double(s.meanImageTokens), "flops_ratio_paper": .double(s.flopsRatioPaper),
                    "flops_ratio_whole_prompt": .double(s.flopsRatioWholePrompt),
                    "seconds": .object(["vision": .double(s.visionSeconds), "prefill": .double(s.prefillSeconds), "decode": .double(s.decodeSeconds)]),
                    "prefill_speedup": optional(s.prefillSpeedup), "tokens_per_second": .double(s.tokensPerSecond),
                ])
            }),
        ])
    }
}
