import Foundation
import TestSupport
import Testing
import WeightIO

/// The GGUF reader against a file written by the `gguf` package (`Fixtures/gguf/make_gguf_fixtures.py`):
/// metadata of every value type, tensors of five types with their dimensions, offsets and bytes
/// (SHA-256 as gguf reads them); and hostile files, each refused with its own one-line error.
@Suite struct GGUFReaderTests {
    static let path = Fixtures.path("gguf/tiny.gguf")

    @Test func readsWhatGGUFWrote() throws {
        let file = try GGUFFile(path: Self.path)
        let expected = try JSON.parse(contentsOf: Fixtures.path("gguf/expected.json"))
        let (version, alignment, dataStart) = (try expected.requireInt("version"), try expected.requireInt("alignment"), try expected.requireInt("data_start"))
        #expect(Int(file.version) == version && file.alignment == alignment && file.dataStart == dataStart)
        #expect(file["test.uint8"] == .uint8(200) && file["test.int8"] == .int8(-100))
        #expect(file["test.uint16"] == .uint16(60000) && file["test.int16"] == .int16(-30000))
        #expect(file["test.uint32"] == .uint32(4_000_000_000) && file["test.int32"] == .int32(-2_000_000_000))
        #expect(file["test.float32"] == .float32(0.15625) && file["test.float64"] == .float64(-1.0e-300))
        #expect(file["test.uint64"] == .uint64(1 << 63 + 5) && file["test.int64"] == .int64(-(1 << 62)))
        #expect(file["test.bool"] == .bool(true) && file["test.string"] == .string("héllo, ggüf"))
        #expect(file["test.array_int32"] == .array(type: 5, [.int32(1), .int32(-2), .int32(3)]))
        #expect(file["test.array_string"] == .array(type: 8, [.string("a"), .string(""), .string("ünï")]))
        #expect(file["test.array_nested"]?.arrayValue?.count == 2)
        #expect(file["general.architecture"] == .string("llama"))
        let tensors = try expected.requireArray("tensors")
        let names = try tensors.map { try $0.requireString("name") }
        #expect(file.tensors.map(\.name) == names)
        for entry in tensors {
            let tensor = try #require(file.tensor(named: try entry.requireString("name")))
            let type = try entry.requireString("type"), offset = try entry.requireInt("offset"), count = try entry.requireInt("byte_count")
            let dimensions = try entry.requireArray("dimensions").map { try #require($0.intValue) }, digest = try entry.requireString("sha256")
            #expect(tensor.type.description == type && tensor.dimensions == dimensions, "\(tensor.name)")
            #expect(tensor.offset == offset && tensor.byteCount == count, "\(tensor.name)")
            #expect(SHA256.hex(file.bytes(of: tensor)) == digest, "\(tensor.name)")
        }
        #expect(file.tensor(named: "quant.q8_0")?.shape == [2, 64])
    }

    /// Every block type decodes bit for bit as the gguf package's `dequantize` (a port of
    /// ggml-quants.c's dequantize_row_*): equal SHA-256 of the f32 values.
    @Test func dequantizesAsGGUFDoes() throws {
        let file = try GGUFFile(path: Self.path)
        let expected = try JSON.parse(contentsOf: Fixtures.path("gguf/expected.json"))
        var decoded = Set<String>()
        for entry in try expected.requireArray("tensors") {
            let tensor = try #require(file.tensor(named: try entry.requireString("name")))
            let values = try file.floats(of: tensor)
            let digest = try entry.requireString("dequantized_sha256")
            let first = try entry.requireArray("first").map { Float(try #require($0.doubleValue)) }
            #expect(values.withUnsafeBytes { SHA256.hex($0) } == digest, "\(tensor.name) (\(tensor.type))")
            #expect(Array(values.prefix(first.count)) == first, "\(tensor.name)")
            decoded.insert(tensor.type.description)
        }
        #expect(decoded == ["F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"])
    }

    // MARK: hostile files

    /// A GGUF file built by hand: header, the given metadata and tensor-info bytes, padding, data.
    static func file(version: UInt32 = 3, tensorCount: UInt64 = 0, keyCount: UInt64 = 0, body: [UInt8] = [], magic: String = "GGUF") -> [UInt8] {
        Array(magic.utf8) + le(version) + le(tensorCount) + le(keyCount) + body
    }

    static func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
    static func string(_ text: String) -> [UInt8] { le(UInt64(text.utf8.count)) + Array(text.utf8) }
    /// A tensor info: name, dimensions (ggml order), type, offset.
    static func info(_ name: String, _ dimensions: [UInt64], type: UInt32 = 0, offset: UInt64 = 0) -> [UInt8] {
        string(name) + le(UInt32(dimensions.count)) + dimensions.flatMap { le($0) } + le(type) + le(offset)
    }
    /// Pads `bytes` to a multiple of 32 (the default alignment) and appends `data`.
    static func padded(_ bytes: [UInt8], data: [UInt8]) -> [UInt8] {
        bytes + [UInt8](repeating: 0, count: (32 - bytes.count % 32) % 32) + data
    }

    static let hostile: [(label: String, bytes: [UInt8], problem: String)] = [
        ("bad magic", file(magic: "GGML"), "not a GGUF file"),
        ("version 1", file(version: 1), "GGUF version 1 is not supported"),
        ("short header", Array(file().prefix(10)), "truncated: the tensor count"),
        ("huge tensor count", file(tensorCount: 1 << 60), "the tensor count 1152921504606846976 cannot fit"),
        ("huge key count", file(keyCount: UInt64.max), "the metadata count 18446744073709551615 cannot fit"),
        ("string of 2^63 bytes", file(keyCount: 1, body: le(UInt64(1) << 63) + [UInt8](repeating: 0x61, count: 16)), "a metadata key claims 9223372036854775808 bytes"),
        ("unknown value type", file(keyCount: 1, body: string("k") + le(UInt32(13)) + le(UInt64(0))), "k has the unknown value type 13"),
        ("array of 2^62 uint32", file(keyCount: 1, body: string("k") + le(UInt32(9)) + le(UInt32(4)) + le(UInt64(1) << 62)), "the element count of k 4611686018427387904 cannot fit"),
        ("bool of 2", file(keyCount: 1, body: string("k") + le(UInt32(7)) + [2] + [UInt8](repeating: 0, count: 16)), "k: a bool of value 2"),
        ("duplicate key", file(keyCount: 2, body: string("k") + le(UInt32(0)) + [1] + string("k") + le(UInt32(0)) + [2]), "metadata key k appears twice"),
        ("bad alignment", file(keyCount: 1, body: string("general.alignment") + le(UInt32(4)) + le(UInt32(24))), "general.alignment must be a uint32 power of two"),
        ("five dimensions", file(tensorCount: 1, body: info("t", [1, 1, 1, 1, 1]) + [UInt8](repeating: 0, count: 64)), "tensor t has 5 dimensions"),
        ("unknown tensor type", file(tensorCount: 1, body: info("t", [4], type: 99) + [UInt8](repeating: 0, count: 64)), "tensor t has the unknown ggml type 99"),
        ("not a block multiple", file(tensorCount: 1, body: info("t", [33], type: 8) + [UInt8](repeating: 0, count: 64)), "first dimension 33 is not a multiple of Q8_0's block of 32"),
        ("duplicate tensor", file(tensorCount: 2, body: info("t", [4]) + info("t", [4]) + [UInt8](repeating: 0, count: 64)), "tensor t appears twice"),
        ("misaligned offset", padded(file(tensorCount: 1, body: info("t", [4], offset: 8)), data: [UInt8](repeating: 0, count: 64)), "its offset 8 is not a multiple of the alignment 32"),
        ("past the end", padded(file(tensorCount: 1, body: info("t", [64])), data: [UInt8](repeating: 0, count: 16)), "lie past the end of the data section (16 bytes)"),
        ("offset past the end", padded(file(tensorCount: 1, body: info("t", [4], offset: 1 << 40)), data: [UInt8](repeating: 0, count: 16)), "lie past the end"),
        ("zero dimension", file(tensorCount: 1, body: info("t", [0]) + [UInt8](repeating: 0, count: 64)), "tensor t has an impossible dimension 0"),
        ("huge dimensions", file(tensorCount: 1, body: info("t", [1 << 40, 1 << 40]) + [UInt8](repeating: 0, count: 64)), "tensor t has an impossible dimension 1099511627776"),
    ]

    @Test(arguments: hostile.indices)
    func refusesHostileFiles(_ index: Int) throws {
        let (label, bytes, problem) = Self.hostile[index]
        let folder = try TemporaryDirectory("pdrop-gguf")
        let path = try folder.write(bytes, to: "hostile.gguf")
        let message = "\(#expect(throws: GGUFError.self, "\(label)") { try GGUFFile(path: path) }.map(String.init(describing:)) ?? "")"
        #expect(message.hasPrefix(path + ": ") && message.contains(problem), "\(label): \(message)")
    }

    /// Cut anywhere before the last tensor's last byte (the padding after it is not needed).
    @Test func aTruncatedCopyOfTheFixtureIsRefusedAtEveryLength() throws {
        let whole = try Array(Data(contentsOf: URL(fileURLWithPath: Self.path)))
        let fixture = try GGUFFile(path: Self.path)
        let needed = fixture.dataStart + fixture.tensors.map { $0.offset + $0.byteCount }.max()!
        let folder = try TemporaryDirectory("pdrop-gguf")
        for length in Array(stride(from: 0, to: needed, by: 7)) + [needed - 1] {
            let path = try folder.write(Array(whole.prefix(length)), to: "cut.gguf")
            #expect(throws: GGUFError.self, "cut at \(length)") { try GGUFFile(path: path) }
        }
    }
}

/// The GGUF writer lays a file out byte for byte as the `gguf` package does: the fixture read back
/// and written again is the same file. Bad input is refused before anything is written.
@Suite struct GGUFWriterTests {
    @Test func rewritingTheFixtureGivesTheSameBytes() throws {
        let file = try GGUFFile(path: GGUFReaderTests.path)
        let folder = try TemporaryDirectory("pdrop-gguf")
        let out = folder.path("copy.gguf")
        try GGUFWriter.write(metadata: file.metadata, tensors: file.tensors.map {
            GGUFWriter.Tensor(name: $0.name, type: $0.type, dimensions: $0.dimensions, bytes: file.bytes(of: $0))
        }, to: out)
        let original = try Data(contentsOf: URL(fileURLWithPath: GGUFReaderTests.path))
        let copy = try Data(contentsOf: URL(fileURLWithPath: out))
        #expect(copy.count == original.count)
        #expect(copy == original)
    }

    @Test func refusesBadInputAndWritesNothing() throws {
        let folder = try TemporaryDirectory("pdrop-gguf")
        let out = folder.path("bad.gguf")
        let bytes = [UInt8](repeating: 0, count: 34)
        bytes.withUnsafeBytes { raw in
            let cases: [([(key: String, value: GGUFValue)], [GGUFWriter.Tensor], String)] = [
                ([("k", .uint8(1)), ("k", .uint8(2))], [], "a metadata key appears twice"),
                ([("general.alignment", .uint32(24))], [], "general.alignment must be a uint32 power of two"),
                ([("a", .array(type: 4, [.uint32(1), .int8(2)]))], [], "a: an array of uint32 holds another type"),
                ([], [GGUFWriter.Tensor(name: "t", type: .q8_0, dimensions: [33], bytes: raw)], "is not a multiple of Q8_0's block of 32"),
                ([], [GGUFWriter.Tensor(name: "t", type: .q8_0, dimensions: [64], bytes: raw)], "34 bytes for Q8_0 [64], which need 68"),
                ([], [GGUFWriter.Tensor(name: "t", type: .q8_0, dimensions: [32], bytes: raw),
                      GGUFWriter.Tensor(name: "t", type: .q8_0, dimensions: [32], bytes: raw)], "a tensor name appears twice"),
            ]
            for (metadata, tensors, problem) in cases {
                let message = "\(#expect(throws: GGUFError.self) { try GGUFWriter.write(metadata: metadata, tensors: tensors, to: out) }.map(String.init(describing:)) ?? "")"
                #expect(message.contains(problem), "\(message)")
                #expect(!FileManager.default.fileExists(atPath: out))
            }
        }
    }
}
