import Foundation
import Testing
import Tensors
import TestSupport
import WeightIO

private func hex(_ bytes: UnsafeRawBufferPointer) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}

/// Reading files written by Python's `safetensors`, and the byte layout of our `SafeTensorsWriter`.
@Suite struct SafeTensorsTests {
    // MARK: - Reading a file written by the Python library

    /// `python_mixed.safetensors` (BF16, F16, F32, F64, I64, I32, I16, U8, I8, BOOL, 0-dim and empty
    /// tensors) reads back exactly as `python_mixed.expected.json` (written alongside it) says:
    /// dtype, shape, every byte, and every value.
    @Test func readsAFileWrittenByPythonExactly() throws {
        let file = try SafeTensorsFile(path: Fixtures.path("safetensors/python_mixed.safetensors"))
        let expected = try JSON.parse(contentsOf: Fixtures.path("safetensors/python_mixed.expected.json"))
        let tensors = try expected.requireObject("tensors")
        #expect(file.names == tensors.keys.sorted())
        #expect(file.metadata == ["format": "pt", "producer": "make_ops_fixtures.py"])

        for name in tensors.keys.sorted() {
            let want = tensors[name]!
            let t = try file.tensor(name)
            #expect(t.dtype.rawValue == (try want.requireString("dtype")), "\(name)")
            #expect(t.shape == (try want.requireArray("shape")).compactMap(\.intValue), "\(name)")
            #expect(hex(t.rawBytes) == (try want.requireString("hex")), "\(name) bytes")
            let values = try want.requireArray("values")
            #expect(values.count == t.count, "\(name) count")
            switch t.dtype {
            case .f32, .f16, .bf16:
                let got = t.floats.map(Double.init)
                #expect(got == values.compactMap(\.doubleValue), "\(name) values")
                #expect(got.map { $0.sign } == values.compactMap(\.doubleValue).map { $0.sign }, "\(name) signs")
            case .f64:
                let got = (0..<t.count).map { t.rawBytes.loadUnaligned(fromByteOffset: 8 * $0, as: Double.self) }
                #expect(got == values.compactMap(\.doubleValue), "\(name) values")
            default:
                #expect(t.integers == values.compactMap(\.intValue), "\(name) values")
            }
        }
        #expect(try file.tensor("scalar").shape == [])
        #expect(try file.tensor("scalar").floats == [2.5])
        #expect(try file.tensor("scalar_i64").integers == [42])
        #expect(try file.tensor("empty").count == 0)
        #expect(try file.tensor("empty_bf16").floats == [])
        #expect(try file.tensor("i64").integers == [Int.min, -1, 0, Int.max])
    }

    @Test func entriesDescribeTheDataArea() throws {
        let file = try SafeTensorsFile(path: Fixtures.path("safetensors/python_mixed.safetensors"))
        let entries = file.names.map { file.entries[$0]! }.sorted { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }
        var end = 0
        for entry in entries {
            #expect(entry.range.lowerBound == end)
            end = entry.range.upperBound
        }
        let size = try FileManager.default.attributesOfItem(atPath: file.path)[.size] as! Int
        let headerLength = Int(try FileBytes.read(file.path).prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        #expect(8 + headerLength + end == size)
        let bf16 = try #require(file.entries["bf16"])
        #expect(bf16.name == "bf16" && bf16.dtype == .bf16 && bf16.shape == [2, 3] && bf16.range.count == 12)
        #expect(throws: WeightIOError.missingTensor(name: "nope", source: file.path)) { try file.tensor("nope") }
    }

    /// Views keep the mapping alive after the file and store objects are gone.
    @Test func tensorViewsOutliveTheirFile() throws {
        let t: Tensor = try {
            let store = try WeightStore(path: Fixtures.path("safetensors/python_mixed.safetensors"))
            return try store.tensor("model.layers.0.self_attn.q_proj.weight")
        }()
        #expect(t.floats == (0..<12).map { Float($0) / 8 })
        var copy = t
        copy.withMutableFloats { $0[0] = 99 }   // a read-only view: writing copies it first
        #expect(t.floats[0] == 0)
        #expect(copy.floats[0] == 99)
    }

    // MARK: - Lenient where the reference implementation is

    @Test func acceptedVariations() throws {
        let folder = try TemporaryDirectory()
        let eight: [UInt8] = [0, 0, 128, 63, 0, 0, 0, 64]   // [1.0, 2.0] as F32
        let cases: [(String, String, [UInt8])] = [
            ("unknown fields in an entry are ignored",
             #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":{"x":[1]}}}"#, eight),
            ("__metadata__ may be null", #"{"__metadata__":null,"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, eight),
            ("no __metadata__", #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, eight),
            ("padding with spaces and a newline", #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"# + "   \n   ", eight),
            ("entries out of offset order; zero-size tensors anywhere",
             #"{"z":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"e":{"dtype":"F32","shape":[0,5],"data_offsets":[4,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"e2":{"dtype":"U8","shape":[0],"data_offsets":[8,8]}}"#, eight),
            ("0-dim tensor", #"{"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"t":{"dtype":"F32","shape":[],"data_offsets":[4,8]}}"#, eight),
            ("every tensor empty, no data", #"{"e":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}"#, []),
            ("no tensors at all", #"{"__metadata__":{"format":"pt"}}"#, []),
            ("a header length that is not a multiple of 8", #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"# + " ", eight),
        ]
        for (i, (label, header, data)) in cases.enumerated() {
            let path = try folder.write(rawSafeTensors(header: header, data: data), to: "ok\(i).safetensors")
            do {
                let file = try SafeTensorsFile(path: path)
                if let a = file.entries["a"], a.shape == [2] { #expect(try file.tensor("a").floats == [1, 2], "\(label)") }
            } catch {
                Issue.record("\(label): \(error)")
            }
        }
        // An F32 tensor at an odd offset is read correctly (safetensors never promises alignment).
        let odd = try folder.write(rawSafeTensors(header: #"{"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"F32","shape":[2],"data_offsets":[1,9]}}"#,
                                                  data: [7] + eight), to: "odd.safetensors")
        let file = try SafeTensorsFile(path: odd)
        #expect(try file.tensor("a").floats == [1, 2])
        #expect(try file.tensor("b").integers == [7])
    }

    /// Sub-byte dtypes must fill whole bytes.
    @Test func subByteDTypes() throws {
        let folder = try TemporaryDirectory()
        let ok = try folder.write(rawSafeTensors(header: #"{"a":{"dtype":"F4","shape":[4],"data_offsets":[0,2]}}"#, data: [0, 0]), to: "f4.safetensors")
        #expect(try SafeTensorsFile(path: ok).entries["a"]?.dtype == .f4)
        let odd = try folder.write(rawSafeTensors(header: #"{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}"#, data: [0, 0]), to: "f4odd.safetensors")
        #expect(throws: WeightIOError.self) { try SafeTensorsFile(path: odd) }
    }

    // MARK: - Writing

    static func sampleTensors() -> [(name: String, tensor: Tensor)] {
        [
            ("b.weight", Tensor(shape: [2, 3], values: [1, -2, 3.5, 0, 1e-30, -0.0])),
            ("a.bf16", Tensor(shape: [3], values: [1, 1.0078125, -3]).converted(to: .bf16)),
            ("a.f16", Tensor(shape: [1, 1], values: [65504]).converted(to: .f16)),
            ("scalar", Tensor(shape: [], values: [42])),
            ("empty", Tensor(zeros: [0, 4])),
            ("ids", Tensor(shape: [2], integers: [-1, 1 << 40])),
            ("ids32", Tensor(shape: [3], integers: [-5, 0, 7], dtype: .i32)),
        ]
    }

    /// The exact layout of the spec: u64 LE header length N; N bytes of JSON padded with spaces to a
    /// multiple of 8; `__metadata__.format == "pt"`; offsets tile the data area in the given order;
    /// the data is each tensor's bytes; the file ends there.
    @Test func writerProducesTheSpecLayout() throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("out.safetensors")
        let tensors = Self.sampleTensors()
        try SafeTensorsWriter.write(tensors, metadata: ["producer": "tests"], to: path)
        if let keep = ProcessInfo.processInfo.environment["PDROP_KEEP_WRITER_SAMPLE"] {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(atPath: path, toPath: keep)  // for make_ops_fixtures.py --check
        }

        let bytes = try FileBytes.read(path)
        let n = Int(bytes.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        #expect(n % 8 == 0, "header padded to a multiple of 8 bytes")
        #expect(8 + n <= bytes.count)
        let headerBytes = Array(bytes[8..<(8 + n)])
        let text = try #require(String(validating: headerBytes, as: UTF8.self))
        #expect(text.hasPrefix("{"))
        let jsonEnd = try #require(text.lastIndex(of: "}"))
        #expect(text[text.index(after: jsonEnd)...].allSatisfy { $0 == " " }, "padding is spaces only")
        #expect(text[text.index(after: jsonEnd)...].count < 8)

        let header = try JSON.parse(text, source: "header")
        #expect(try header.requireString("__metadata__", "format") == "pt")
        #expect(try header.requireString("__metadata__", "producer") == "tests")
        #expect(try header.requireObject().count == tensors.count + 1)

        var offset = 0
        for (name, tensor) in tensors {
            let entry = try #require(header[name], "\(name) in header")
            #expect(try entry.requireString("dtype") == tensor.dtype.rawValue)
            #expect(try entry.requireArray("shape").compactMap(\.intValue) == tensor.shape)
            let offsets = try entry.requireArray("data_offsets").compactMap(\.intValue)
            #expect(offsets == [offset, offset + tensor.rawBytes.count], "\(name) offsets")
            let data = Array(bytes[(8 + n + offset)..<(8 + n + offset + tensor.rawBytes.count)])
            #expect(data == Array(tensor.rawBytes), "\(name) bytes")
            offset += tensor.rawBytes.count
        }
        #expect(bytes.count == 8 + n + offset, "the file ends with the last tensor")

        // And it reads back through our reader, identically.
        let file = try SafeTensorsFile(path: path)
        for (name, tensor) in tensors { expectIdentical(try file.tensor(name), tensor, name) }
        #expect(file.metadata == ["format": "pt", "producer": "tests"])
    }

    @Test func writerKeepsAGivenFormatAndPadsEveryLength() throws {
        let folder = try TemporaryDirectory()
        // Names of every length mod 8 exercise every amount of padding.
        for k in 0..<8 {
            let path = folder.path("pad\(k).safetensors")
            try SafeTensorsWriter.write([(String(repeating: "x", count: k + 1), Tensor(shape: [1], values: [1]))],
                                       metadata: k == 0 ? ["format": "mlx"] : [:], to: path)
            let bytes = try FileBytes.read(path)
            let n = Int(bytes.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            #expect(n % 8 == 0 && bytes.count == 8 + n + 4)
            #expect(try SafeTensorsFile(path: path).metadata["format"] == (k == 0 ? "mlx" : "pt"))
        }
    }

    /// A round trip of the Python-written file through our writer keeps every byte of every tensor.
    @Test func pythonFileRoundTripsThroughTheWriter() throws {
        let source = try SafeTensorsFile(path: Fixtures.path("safetensors/python_mixed.safetensors"))
        let folder = try TemporaryDirectory()
        let path = folder.path("copy.safetensors")
        try SafeTensorsWriter.write(try source.names.map { ($0, try source.tensor($0)) }, metadata: source.metadata, to: path)
        let copy = try SafeTensorsFile(path: path)
        #expect(copy.names == source.names)
        #expect(copy.metadata == source.metadata)
        for name in source.names { expectIdentical(try copy.tensor(name), try source.tensor(name), name) }
    }

    @Test func streamingWriterRefusesAMismatchAndLeavesNothing() throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("w.safetensors")
        try SafeTensorsWriter.write([("old", Tensor(shape: [1], values: [7]))], to: path)
        let plans = [SafeTensorsWriter.Plan(name: "a", dtype: .f32, shape: [2]), .init(name: "b", dtype: .bf16, shape: [2])]
        #expect(plans[1].byteCount == 4)

        // The second tensor comes out as F32 where BF16 was planned.
        let error = #expect(throws: WeightIOError.self) {
            try SafeTensorsWriter.write(plans, to: path) { _ in Tensor(shape: [2], values: [1, 2]) }
        }
        guard case .writeFailed(path: path, reason: let reason)? = error else {
            Issue.record("expected writeFailed, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("'b'"))
        // The old file is untouched and no temporary file is left behind.
        #expect(try SafeTensorsFile(path: path).names == ["old"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["w.safetensors"])

        struct Boom: Error {}
        #expect(throws: Boom.self) { try SafeTensorsWriter.write(plans, to: folder.path("new.safetensors")) { _ in throw Boom() } }
        #expect(!FileManager.default.fileExists(atPath: folder.path("new.safetensors")))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["w.safetensors"])

        // Streaming with matching tensors works.
        try SafeTensorsWriter.write(plans, to: path) { i in
            i == 0 ? Tensor(shape: [2], values: [1, 2]) : Tensor(shape: [2], values: [3, 4]).converted(to: .bf16)
        }
        #expect(try SafeTensorsFile(path: path).tensor("b").floats == [3, 4])
    }

    @Test func writerRefusesADuplicateName() throws {
        let folder = try TemporaryDirectory()
        let error = #expect(throws: WeightIOError.self) {
            try SafeTensorsWriter.write([("a", Tensor(zeros: [1])), ("a", Tensor(zeros: [1]))], to: folder.path("dup.safetensors"))
        }
        guard case .writeFailed? = error else {
            Issue.record("expected writeFailed, got \(String(describing: error))")
            return
        }
        #expect(!FileManager.default.fileExists(atPath: folder.path("dup.safetensors")))
    }

    @Test func writerFailsCleanlyInAMissingFolder() {
        let error = #expect(throws: WeightIOError.self) {
            try SafeTensorsWriter.write([("a", Tensor(zeros: [1]))], to: "/nonexistent-folder/x.safetensors")
        }
        guard case .writeFailed(path: "/nonexistent-folder/x.safetensors", reason: _)? = error else {
            Issue.record("expected writeFailed, got \(String(describing: error))")
            return
        }
    }
}
