import Foundation
import Testing
import Tensors
import TestSupport
import WeightIO

/// `WeightStore` over a single file, a sharded folder with an index, `model.safetensors`, and a
/// folder of loose `*.safetensors`; `ShardedIndex` on its own.
@Suite struct WeightStoreTests {
    static let sharded = "safetensors/sharded"

    @Test func opensAShardedFolder() throws {
        let store = try WeightStore(path: Fixtures.path(Self.sharded))
        #expect(store.files.count == 2)
        #expect(store.names == ["embed.weight", "layers.0.norm.weight", "layers.1.norm.weight", "lm_head.weight"])
        #expect(store.contains("lm_head.weight") && !store.contains("nope"))
        #expect(try store.tensor("embed.weight", shape: [3, 2]).floats == [0, 1, 2, 3, 4, 5])
        #expect(try store.tensor("layers.0.norm.weight", shape: [2]).dtype == .bf16)
        #expect(try store.tensor("layers.1.norm.weight", shape: [2]).floats == [0.5, 0.5])
        #expect(store.entry("lm_head.weight")?.shape == [3, 2])
        #expect(store.entry("nope") == nil)

        let shard2 = Fixtures.path(Self.sharded + "/model-00002-of-00002.safetensors")
        #expect(throws: WeightIOError.wrongShape(tensor: "lm_head.weight", expected: [2, 3], actual: [3, 2], source: shard2)) {
            try store.tensor("lm_head.weight", shape: [2, 3])
        }
        #expect(throws: WeightIOError.missingTensor(name: "nope", source: Fixtures.path(Self.sharded))) {
            try store.tensor("nope")
        }
    }

    @Test func indexOnItsOwn() throws {
        let index = try ShardedIndex(path: Fixtures.path(Self.sharded + "/model.safetensors.index.json"))
        #expect(index.shards == ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"])
        #expect(index.weightMap["lm_head.weight"] == "model-00002-of-00002.safetensors")
        #expect(index.metadata["total_size"] == .int(56))
    }

    @Test(arguments: ["..", ".", "", "a/b.safetensors", "/etc/passwd", "..\\x.safetensors", "a\u{0}b"])
    func unsafeShardNames(shard: String) throws {
        let folder = try TemporaryDirectory()
        let text = JSON.object(["weight_map": .object(["t": .string(shard)])]).serialized()
        let path = try folder.write(Array(text.utf8), to: "model.safetensors.index.json")
        #expect(throws: WeightIOError.unsafeShardName(path: path, shard: shard)) { try ShardedIndex(path: path) }
    }

    @Test func singleFileAndNonFloatTensors() throws {
        let path = Fixtures.path("safetensors/python_mixed.safetensors")
        let store = try WeightStore(path: path)
        #expect(store.files.count == 1)
        #expect(store.names.count == 15)
        #expect(throws: WeightIOError.notFloat(tensor: "i64", dtype: "I64")) { try store.tensor("i64", shape: [4]) }
        #expect(try store.tensor("i64").integers.count == 4)
    }

    @Test func folderWithModelSafetensorsOrLooseFiles() throws {
        let folder = try TemporaryDirectory()
        // model.safetensors wins over other files.
        try SafeTensorsWriter.write([("w", Tensor(shape: [1], values: [1]))], to: folder.path("model.safetensors"))
        try SafeTensorsWriter.write([("w", Tensor(shape: [1], values: [2]))], to: folder.path("other.safetensors"))
        #expect(try WeightStore(path: folder.path).tensor("w").floats == [1])

        // Without it, every *.safetensors is opened; a name in two files is an error.
        try FileManager.default.removeItem(atPath: folder.path("model.safetensors"))
        try SafeTensorsWriter.write([("v", Tensor(shape: [1], values: [3]))], to: folder.path("a.safetensors"))
        let store = try WeightStore(path: folder.path)
        #expect(store.names == ["v", "w"])
        try SafeTensorsWriter.write([("v", Tensor(shape: [1], values: [4]))], to: folder.path("b.safetensors"))
        #expect(throws: WeightIOError.tensorInTwoShards(tensor: "v", first: folder.path("a.safetensors"), second: folder.path("b.safetensors"))) {
            try WeightStore(path: folder.path)
        }
    }

    /// A shard listed in the index is opened only through the index; unlisted files are ignored.
    @Test func filesOutsideTheIndexAreIgnored() throws {
        let folder = try TemporaryDirectory()
        try SafeTensorsWriter.write([("a", Tensor(shape: [1], values: [1]))], to: folder.path("s1.safetensors"))
        try SafeTensorsWriter.write([("a", Tensor(shape: [1], values: [9]))], to: folder.path("stale.safetensors"))
        let index = JSON.object(["metadata": .object([:]), "weight_map": .object(["a": .string("s1.safetensors")])])
        try folder.write(Array(index.serialized().utf8), to: "model.safetensors.index.json")
        let store = try WeightStore(path: folder.path)
        #expect(store.files.count == 1)
        #expect(try store.tensor("a").floats == [1])
    }
}
