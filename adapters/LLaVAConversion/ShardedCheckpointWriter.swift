import Foundation
import WeightIO

/// Writes tensors into a folder the way transformers' `save_pretrained` lays them out: one
/// `model.safetensors` when everything fits in one shard, else `model-00001-of-0000N.safetensors`
/// … plus `model.safetensors.index.json` (`metadata.total_size` = the tensors' bytes,
/// `weight_map` = name → shard).
public enum ShardedCheckpointWriter {
    /// Groups tensors, in order, into shards of at most `maxBytes` (huggingface_hub's rule: a
    /// tensor that does not fit in the current shard starts a new one; a tensor larger than the
    /// limit gets a shard of its own).
    public static func shards(_ recipes: [TensorRecipe], maxBytes: Int) -> [[TensorRecipe]] {
        var shards: [[TensorRecipe]] = []
        var current: [TensorRecipe] = [], size = 0
        for recipe in recipes {
            if recipe.byteCount > maxBytes {
                shards.append([recipe])
                continue
            }
            if size + recipe.byteCount > maxBytes, !current.isEmpty {
                shards.append(current)
                current = []
                size = 0
            }
            current.append(recipe)
            size += recipe.byteCount
        }
        if !current.isEmpty || shards.isEmpty { shards.append(current) }
        return shards
    }

    /// The file name of shard `index` (0-based) of `count`.
    public static func fileName(shard index: Int, of count: Int) -> String {
        count == 1 ? "model.safetensors" : "model-\(fiveDigits(index + 1))-of-\(fiveDigits(count)).safetensors"
    }

    /// The index file's name.
    public static let indexName = "model.safetensors.index.json"

    private static func fiveDigits(_ n: Int) -> String {
        let text = String(n)
        return String(repeating: "0", count: max(0, 5 - text.count)) + text
    }

    /// Writes `recipes` into `folder` (which exists) and returns the file names written.
    /// `written` is called before each tensor is produced and once after each shard.
    static func write(_ recipes: [TensorRecipe], maxBytes: Int, into folder: String,
                      written: (_ tensors: Int, _ bytes: Int, _ next: String?) throws -> Void) throws -> [String] {
        let groups = shards(recipes, maxBytes: maxBytes)
        var files: [String] = []
        var weightMap: [String: JSON] = [:]
        var tensors = 0, bytes = 0
        for (s, group) in groups.enumerated() {
            let file = fileName(shard: s, of: groups.count)
            let plans = group.map { SafeTensorsWriter.Plan(name: $0.name, dtype: $0.dtype, shape: $0.shape) }
            try SafeTensorsWriter.write(plans, metadata: ["format": "pt"], to: folder + "/" + file) { i in
                if i > 0 {
                    tensors += 1
                    bytes += group[i - 1].byteCount
                }
                try written(tensors, bytes, group[i].name)
                return try group[i].produce()
            }
            if let last = group.last {
                tensors += 1
                bytes += last.byteCount
            }
            try written(tensors, bytes, nil)
            for recipe in group { weightMap[recipe.name] = .string(file) }
            files.append(file)
        }
        if groups.count > 1 {
            let total = recipes.reduce(0) { $0 + $1.byteCount }
            let index = JSON.object(["metadata": .object(["total_size": .int(total)]), "weight_map": .object(weightMap)])
            try FileBytes.writeAtomically(Array((index.serialized(pretty: true) + "\n").utf8), to: folder + "/" + indexName)
            files.append(indexName)
        }
        return files
    }
}
