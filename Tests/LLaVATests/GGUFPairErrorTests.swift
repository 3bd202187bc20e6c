import Foundation
import LLaVA
import TestSupport
import Testing
import WeightIO

/// GGUF pairs that are not what they claim: each refused with one line naming the file and the
/// key or tensor at fault.
@Suite struct GGUFPairErrorTests {
    static let llava = GGUFPairTests.gguf + "/llava"

    /// A copy of the fixture `source` with `dropping` tensors left out and `metadata` keys replaced
    /// (a nil value removes the key).
    static func variant(of source: String, in folder: TemporaryDirectory, named name: String, dropping: Set<String> = [],
                        metadata changes: [String: GGUFValue?] = [:]) throws -> String {
        let file = try GGUFFile(path: source)
        var metadata = file.metadata.filter { changes[$0.key] == nil }
        for (key, value) in changes.sorted(by: { $0.key < $1.key }) { if let value { metadata.append((key, value)) } }
        let tensors = file.tensors.filter { !dropping.contains($0.name) }.map {
            GGUFWriter.Tensor(name: $0.name, type: $0.type, dimensions: $0.dimensions, bytes: file.bytes(of: $0))
        }
        let path = folder.path(name)
        try GGUFWriter.write(metadata: metadata.filter { $0.key != "general.alignment" }, tensors: tensors, to: path)
        return path
    }

    static func message(_ body: () throws -> Any) -> String {
        do {
            _ = try body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func swappedFilesNameTheArchitecture() {
        let text = Self.llava + "/text-f16.gguf", mmproj = Self.llava + "/mmproj-f16.gguf"
        #expect(Self.message { try LLaVACheckpoint(gguf: mmproj, mmproj: mmproj) }
            == "\(mmproj): general.architecture 'clip' is not a text model this tool reads (llama)")
        #expect(Self.message { try LLaVACheckpoint(gguf: text, mmproj: text) }
            == "\(text): general.architecture 'llama' is not an mmproj file (clip)")
    }

    @Test func missingTensorsAreNamed() throws {
        let folder = try TemporaryDirectory()
        let text = try Self.variant(of: Self.llava + "/text-f16.gguf", in: folder, named: "text.gguf", dropping: ["blk.1.attn_k.weight"])
        #expect(Self.message { try LLaVACheckpoint(gguf: text, mmproj: Self.llava + "/mmproj-f16.gguf") }
            == "\(text): tensor blk.1.attn_k.weight is missing")
        let mmproj = try Self.variant(of: Self.llava + "/mmproj-f16.gguf", in: folder, named: "mmproj.gguf", dropping: ["mm.2.bias"])
        #expect(Self.message { try LLaVACheckpoint(gguf: Self.llava + "/text-f16.gguf", mmproj: mmproj) }
            == "\(mmproj): tensor mm.2.bias is missing")
    }

    @Test func unsupportedMetadataIsNamed() throws {
        let folder = try TemporaryDirectory()
        let scaled = try Self.variant(of: Self.llava + "/text-f16.gguf", in: folder, named: "scaled.gguf",
                                      metadata: ["llama.rope.scaling.type": .string("yarn")])
        #expect(Self.message { try LLaVACheckpoint(gguf: scaled, mmproj: Self.llava + "/mmproj-f16.gguf") }
            == "\(scaled): llama.rope.scaling.type 'yarn': RoPE scaling is not supported")
        let noHeads = try Self.variant(of: Self.llava + "/text-f16.gguf", in: folder, named: "heads.gguf",
                                       metadata: ["llama.attention.head_count": nil])
        #expect(Self.message { try LLaVACheckpoint(gguf: noHeads, mmproj: Self.llava + "/mmproj-f16.gguf") }
            == "\(noHeads): metadata llama.attention.head_count is missing")
        let projector = try Self.variant(of: Self.llava + "/mmproj-f16.gguf", in: folder, named: "ldp.gguf",
                                         metadata: ["clip.projector_type": .string("ldp")])
        #expect(Self.message { try LLaVACheckpoint(gguf: Self.llava + "/text-f16.gguf", mmproj: projector) }
            == "\(projector): clip.projector_type 'ldp' is not supported (only mlp, LLaVA's)")
        let wrongType = try Self.variant(of: Self.llava + "/mmproj-f16.gguf", in: folder, named: "type.gguf",
                                         metadata: ["clip.vision.block_count": .string("two")])
        #expect(Self.message { try LLaVACheckpoint(gguf: Self.llava + "/text-f16.gguf", mmproj: wrongType) }
            == "\(wrongType): metadata clip.vision.block_count is string, expected an integer")
    }

    @Test func foreignTensorsAreRefused() throws {
        let folder = try TemporaryDirectory()
        // Declaring one layer fewer leaves blk.1.* unaccounted for.
        let short = try Self.variant(of: Self.llava + "/text-f16.gguf", in: folder, named: "short.gguf",
                                     metadata: ["llama.block_count": .uint32(1)])
        #expect(Self.message { try LLaVACheckpoint(gguf: short, mmproj: Self.llava + "/mmproj-f16.gguf") }.hasSuffix("is past the 1 layers the metadata declares"))
    }

    @Test func folderPairsMustBeOneOfEach() throws {
        let folder = try TemporaryDirectory()
        for name in ["text-f16.gguf", "text-q8_0.gguf", "mmproj-f16.gguf"] {
            try FileManager.default.copyItem(atPath: Self.llava + "/" + name, toPath: folder.path(name))
        }
        #expect(Self.message { try GGUFPair.inFolder(folder.path) }.contains("found 2 text models (text-f16.gguf, text-q8_0.gguf) and 1 mmproj (mmproj-f16.gguf)"))
        try FileManager.default.removeItem(atPath: folder.path("text-q8_0.gguf"))
        let pair = try #require(try GGUFPair.inFolder(folder.path))
        #expect(pair.model.path.hasSuffix("text-f16.gguf") && pair.mmproj.path.hasSuffix("mmproj-f16.gguf"))
    }
}
