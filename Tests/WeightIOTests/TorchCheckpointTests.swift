import Foundation
import Testing
import Tensors
@testable import WeightIO

/// Reading `torch.save` checkpoints: every tensor equals its copy in `expected.safetensors`.
@Suite struct TorchCheckpointTests {
    static let goodFiles = ["single/pytorch_model.bin", "module.bin", "proto4.bin", "zip64.bin",
                            "sharded/pytorch_model-00001-of-00002.bin", "sharded/pytorch_model-00002-of-00002.bin"]

    /// Protocol 2 and 4 pickles, an nn.Module state dict (OrderedDict with `_metadata`), a plain
    /// dict, and ZIP64 headers all read back exactly.
    @Test(arguments: goodFiles)
    func matchesExpected(_ file: String) throws {
        let checkpoint = try TorchCheckpoint(path: TorchFixtures.path(file))
        let expected = try TorchFixtures.expected()
        #expect(!checkpoint.names.isEmpty)
        for name in checkpoint.names {
            let tensor = try checkpoint.tensor(name)
            let reference = try expected.tensor(name)
            #expect(identical(tensor, reference), "\(file): \(name)")
            #expect(checkpoint.info(name) == TensorInfo(name: name, dtype: reference.dtype, shape: reference.shape))
        }
    }

    @Test func mainStateDictContents() throws {
        let checkpoint = try TorchCheckpoint(path: TorchFixtures.path("single/pytorch_model.bin"))
        #expect(checkpoint.names == ["bf16.matrix", "bool.mask", "column", "empty", "expanded", "f16.vector", "f32.matrix",
                                     "i32.values", "i64.ids", "parameter", "scalar", "shared.head", "shared.tail",
                                     "transposed", "transposed.source", "u8.bytes"])
        #expect(checkpoint.archiveName == "pytorch_model")
        let dtypes = checkpoint.names.map { checkpoint.info($0)!.dtype }
        #expect(Set(dtypes) == [.f32, .f16, .bf16, .i64, .i32, .u8, .bool])
        #expect(try checkpoint.tensor("i64.ids").integers == [0, -1, 1 << 40, -(1 << 62)])
        #expect(try checkpoint.tensor("i32.values").integers == [7, -8, 9, Int(Int32.max)])
        #expect(try checkpoint.tensor("u8.bytes").integers == [0, 1, 255])
        #expect(try checkpoint.tensor("bool.mask").integers == [1, 0, 1])
        let scalar = try checkpoint.tensor("scalar")
        #expect(scalar.shape == [] && scalar.floats == [3.25])
        let empty = try checkpoint.tensor("empty")
        #expect(empty.shape == [0, 3] && empty.count == 0)
        #expect(try checkpoint.tensor("expanded").floats == [0, 1, 2, 0, 1, 2])
        #expect(try checkpoint.tensor("shared.head").floats == [0.25, 0.5, 0.75])
        #expect(try checkpoint.tensor("shared.tail").floats == [1.5, 1.75, 2, 2.25])
        // The transpose is the source read column by column.
        let source = try checkpoint.tensor("transposed.source").floats
        let transposed = try checkpoint.tensor("transposed")
        #expect(transposed.shape == [4, 3])
        #expect(transposed.floats == (0..<4).flatMap { c in (0..<3).map { r in source[r * 4 + c] } })
        #expect(try checkpoint.tensor("column").floats == [source[1], source[5], source[9]])
    }

    /// Contiguous tensors are views into the mapping: two slices of one storage sit at their
    /// offsets in the same record; f32 views are aligned (torch aligns records to 64 bytes).
    @Test func contiguousTensorsAreZeroCopyViews() throws {
        let checkpoint = try TorchCheckpoint(path: TorchFixtures.path("single/pytorch_model.bin"))
        let head = try checkpoint.tensor("shared.head"), tail = try checkpoint.tensor("shared.tail")
        #expect(tail.rawBytes.baseAddress! - head.rawBytes.baseAddress! == (6 - 1) * 2)
        let again = try checkpoint.tensor("shared.head")
        #expect(again.rawBytes.baseAddress == head.rawBytes.baseAddress)
        #expect(try checkpoint.tensor("f32.matrix").isDirectFloat)
        #expect(try checkpoint.tensor("transposed.source").isDirectFloat)
    }

    @Test func handmadeArchive() throws {
        let checkpoint = try TorchCheckpoint(path: TorchFixtures.path("handmade.bin"))
        #expect(checkpoint.archiveName == "archive")
        #expect(checkpoint.names == ["w"])
        #expect(try checkpoint.tensor("w").floats == [1.5, -2])
        #expect(throws: WeightIOError.missingTensor(name: "x", source: checkpoint.path)) { try checkpoint.tensor("x") }
    }

    // MARK: - WeightStore

    @Test func weightStoreOpensAFolderWithPytorchModelBin() throws {
        let folder = TorchFixtures.path("single")
        let store = try WeightStore(path: folder)
        #expect(store.files.isEmpty)
        #expect(store.sources.count == 1 && store.sources[0] is TorchCheckpoint)
        #expect(store.names.count == 16)
        #expect(store.entry("f32.matrix") == nil)  // safetensors entries only
        #expect(store.info("bf16.matrix") == TensorInfo(name: "bf16.matrix", dtype: .bf16, shape: [3, 2]))
        let expected = try TorchFixtures.expected()
        #expect(identical(try store.tensor("bf16.matrix", shape: [3, 2]), try expected.tensor("bf16.matrix")))
        #expect(throws: WeightIOError.wrongShape(tensor: "f32.matrix", expected: [3, 2], actual: [2, 3],
                                                 source: folder + "/pytorch_model.bin")) {
            try store.tensor("f32.matrix", shape: [3, 2])
        }
        #expect(throws: WeightIOError.notFloat(tensor: "i64.ids", dtype: "I64")) { try store.tensor("i64.ids", shape: [4]) }
    }

    @Test func weightStoreOpensAShardedFolder() throws {
        let store = try WeightStore(path: TorchFixtures.path("sharded"))
        #expect(store.sources.count == 2)
        #expect(store.names == ["lm_head.weight", "model.embed_tokens.weight", "model.layers.0.mlp.up_proj.weight", "model.norm.weight"])
        let expected = try TorchFixtures.expected()
        for name in store.names { #expect(identical(try store.tensor(name), try expected.tensor(name)), "\(name)") }
        #expect(store.info("model.embed_tokens.weight")?.shape == [4, 2])
    }

    @Test func weightStoreOpensABinFile() throws {
        let store = try WeightStore(path: TorchFixtures.path("proto4.bin"))
        #expect(store.names == ["p4.half", "p4.weight"])
        #expect(try store.tensor("p4.half").dtype == .f16)
    }

    /// safetensors wins when a folder holds both; other `.bin` files are not weights.
    @Test func weightStoreFolderPreferences() throws {
        let folder = try TorchFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(atPath: TorchFixtures.path("malicious-os-system.bin"),
                                         toPath: folder.appendingPathComponent("training_args.bin").path)
        #expect(throws: WeightIOError.noWeights(path: folder.path)) { try WeightStore(path: folder.path) }

        try FileManager.default.copyItem(atPath: TorchFixtures.path("single/pytorch_model.bin"),
                                         toPath: folder.appendingPathComponent("pytorch_model.bin").path)
        #expect(try WeightStore(path: folder.path).names.count == 16)

        try SafeTensorsWriter.write([(name: "only", tensor: Tensor(shape: [1], values: [1]))],
                                    to: folder.appendingPathComponent("model.safetensors").path)
        let store = try WeightStore(path: folder.path)
        #expect(store.names == ["only"] && store.files.count == 1)
    }

    /// The `.bin` index follows the safetensors index's rules.
    @Test func shardedIndexRules() throws {
        let folder = try TorchFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let index = folder.appendingPathComponent("pytorch_model.bin.index.json").path
        let shard1 = "pytorch_model-00001-of-00002.bin", shard2 = "pytorch_model-00002-of-00002.bin"
        for shard in [shard1, shard2] {
            try FileManager.default.copyItem(atPath: TorchFixtures.path("sharded/" + shard), toPath: folder.appendingPathComponent(shard).path)
        }
        func writeIndex(_ map: [String: String]) throws {
            let json = JSON.object(["metadata": .object([:]), "weight_map": .object(map.mapValues { .string($0) })])
            try FileBytes.writeAtomically(Array(json.serialized().utf8), to: index)
        }
        let good = ["model.embed_tokens.weight": shard1, "model.layers.0.mlp.up_proj.weight": shard1,
                    "model.norm.weight": shard2, "lm_head.weight": shard2]
        try writeIndex(good)
        #expect(try WeightStore(path: folder.path).names.count == 4)

        try writeIndex(good.merging(["lm_head.weight": "../" + shard2]) { $1 })
        #expect(throws: WeightIOError.unsafeShardName(path: index, shard: "../" + shard2)) { try WeightStore(path: folder.path) }

        try writeIndex(good.merging(["extra": "pytorch_model-00003-of-00003.bin"]) { $1 })
        #expect(throws: WeightIOError.missingShard(path: index, shard: "pytorch_model-00003-of-00003.bin")) {
            try WeightStore(path: folder.path)
        }

        try writeIndex(good.filter { $0.key != "model.norm.weight" })
        #expect(throws: WeightIOError.self) { try WeightStore(path: folder.path) }
    }
}
