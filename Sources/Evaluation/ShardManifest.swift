import WeightIO

/// What one shard of an evaluation set out to do, written (atomically) before its first sample:
/// the data file and its SHA-256, the shard and its sample ids, the policies, the model, the
/// compute path and the tool's version. The report reads it to tell a missing id from a finished
/// run; a rerun into the same folder must match it, so results of different runs never mix.
public struct ShardManifest: Sendable, Equatable {
    public var data: String
    public var dataSHA256: String
    /// Samples of the whole run (after `--limit`, before sharding).
    public var totalSamples: Int
    public var shard: ShardSpec
    /// This shard's sample ids, in file order.
    public var ids: [String]
    public var policies: [String]
    public var model: String
    public var compute: String
    public var maxNewTokens: Int
    public var promptSuffix: String?
    public var version: String

    public init(data: String, dataSHA256: String, totalSamples: Int, shard: ShardSpec, ids: [String], policies: [String], model: String,
                compute: String, maxNewTokens: Int, promptSuffix: String?, version: String) {
        self.data = data
        self.dataSHA256 = dataSHA256
        self.totalSamples = totalSamples
        self.shard = shard
        self.ids = ids
        self.policies = policies
        self.model = model
        self.compute = compute
        self.maxNewTokens = maxNewTokens
        self.promptSuffix = promptSuffix
        self.version = version
    }

    /// `DIR/shard-I-of-N.manifest.json`.
    public static func path(in folder: String, shard: ShardSpec) -> String { folder + "/" + shard.name + ".manifest.json" }

    public var json: JSON {
        .object([
            "data": .string(data), "data_sha256": .string(dataSHA256), "total_samples": .int(totalSamples),
            "shard": .object(["index": .int(shard.index), "count": .int(shard.count)]),
            "samples": .int(ids.count), "ids": .array(ids.map(JSON.string)), "policies": .array(policies.map(JSON.string)),
            "model": .string(model), "compute": .string(compute), "max_new_tokens": .int(maxNewTokens),
            "prompt_suffix": promptSuffix.map(JSON.string) ?? .null, "version": .string(version),
        ])
    }

    public init(json: JSON) throws {
        func strings(_ key: String) throws -> [String] {
            try json.requireArray(key).map {
                guard let text = $0.stringValue else { throw EvaluationError.invalid("manifest: \"\(key)\" holds a non-string") }
                return text
            }
        }
        self.init(data: try json.requireString("data"), dataSHA256: try json.requireString("data_sha256"),
                  totalSamples: try json.requireInt("total_samples"),
                  shard: try ShardSpec(index: try json.requireInt("shard", "index"), count: try json.requireInt("shard", "count")),
                  ids: try strings("ids"), policies: try strings("policies"), model: try json.requireString("model"),
                  compute: try json.requireString("compute"), maxNewTokens: try json.requireInt("max_new_tokens"),
                  promptSuffix: try json.string("prompt_suffix"), version: try json.requireString("version"))
    }

    public static func read(_ path: String) throws -> ShardManifest {
        do {
            return try ShardManifest(json: try JSON.parse(contentsOf: path))
        } catch {
            throw EvaluationError.invalid("\(path): not a shard manifest (\(error))")
        }
    }

    public func write(to path: String) throws {
        try FileBytes.writeAtomically(Array((json.serialized(pretty: true) + "\n").utf8), to: path)
    }

    /// Why a run described by `self` may not continue the results of `existing` (nil: it may).
    public func conflict(with existing: ShardManifest) -> String? {
        var differences: [String] = []
        if dataSHA256 != existing.dataSHA256 { differences.append("the data file's contents") }
        if totalSamples != existing.totalSamples { differences.append("the sample count (--limit)") }
        if policies != existing.policies { differences.append("--policies (\(existing.policies.joined(separator: ",")))") }
        if model != existing.model { differences.append("--model (\(existing.model))") }
        if compute != existing.compute { differences.append("the compute path (\(existing.compute))") }
        if maxNewTokens != existing.maxNewTokens { differences.append("--max-new-tokens (\(existing.maxNewTokens))") }
        if promptSuffix != existing.promptSuffix { differences.append("--prompt-suffix") }
        return differences.isEmpty ? nil : differences.joined(separator: ", ")
    }
}
