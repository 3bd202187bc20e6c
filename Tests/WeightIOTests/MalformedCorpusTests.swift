import Foundation
import Testing
import TestSupport
import WeightIO

/// What opening a malformed fixture must throw: an exact `WeightIOError`, or a case whose reason
/// contains a phrase (for the cases that carry free text).
enum ExpectedError: Sendable, CustomStringConvertible {
    case exactly(WeightIOError)
    case invalidHeader(containing: String)
    case badIndex(containing: String)

    func matches(_ error: WeightIOError, path: String) -> Bool {
        switch self {
        case .exactly(let expected): return error == expected
        case .invalidHeader(let phrase):
            if case .invalidHeader(path, let reason) = error { return reason.contains(phrase) }
            return false
        case .badIndex(let phrase):
            if case .badIndex(let indexPath, let reason) = error {
                return indexPath == path + "/model.safetensors.index.json" && reason.contains(phrase)
            }
            return false
        }
    }

    var description: String {
        switch self {
        case .exactly(let e): return "\(e)"
        case .invalidHeader(let p): return "invalidHeader containing '\(p)'"
        case .badIndex(let p): return "badIndex containing '\(p)'"
        }
    }
}

/// The corpus of malformed files and folders in `Tests/Fixtures/safetensors/malformed` (written by
/// make_ops_fixtures.py): each must be refused with its own specific error — never a crash or trap.
@Suite struct MalformedCorpusTests {
    static let folder = "safetensors/malformed/"
    static let s1 = "model-00001-of-00002.safetensors", s2 = "model-00002-of-00002.safetensors"

    /// (fixture name, what it must throw given its path)
    static let cases: [(String, @Sendable (String) -> ExpectedError)] = [
        ("empty.safetensors", { .exactly(.truncated(path: $0, detail: "0 bytes, fewer than the 8-byte header length")) }),
        ("truncated_4_bytes.safetensors", { .exactly(.truncated(path: $0, detail: "4 bytes, fewer than the 8-byte header length")) }),
        ("header_beyond_file.safetensors", { .exactly(.headerBeyondFile(path: $0, headerLength: 1000, fileSize: 13)) }),
        ("header_too_large.safetensors", { .exactly(.headerTooLarge(path: $0, length: 100_000_001, limit: 100_000_000)) }),
        ("header_length_u64_max.safetensors", { .exactly(.headerTooLarge(path: $0, length: .max, limit: 100_000_000)) }),
        ("header_length_zero.safetensors", { _ in .invalidHeader(containing: "not valid JSON") }),
        ("overlapping_offsets.safetensors", { .exactly(.layoutGapOrOverlap(path: $0, tensor: "b", expectedBegin: 8, actualBegin: 4)) }),
        ("gap_between_tensors.safetensors", { .exactly(.layoutGapOrOverlap(path: $0, tensor: "b", expectedBegin: 8, actualBegin: 12)) }),
        ("gap_at_start.safetensors", { .exactly(.layoutGapOrOverlap(path: $0, tensor: "a", expectedBegin: 0, actualBegin: 4)) }),
        ("unknown_dtype.safetensors", { .exactly(.unknownDType(path: $0, tensor: "a", dtype: "F128")) }),
        ("lowercase_dtype.safetensors", { .exactly(.unknownDType(path: $0, tensor: "a", dtype: "f32")) }),
        ("shape_byte_mismatch.safetensors", { .exactly(.byteCountMismatch(path: $0, tensor: "a", expected: 24, actual: 20)) }),
        ("duplicate_tensor_name.safetensors", { _ in .invalidHeader(containing: "duplicate key 'a'") }),
        ("non_object_json.safetensors", { _ in .invalidHeader(containing: "header is an array, expected a JSON object") }),
        ("invalid_json.safetensors", { _ in .invalidHeader(containing: "not valid JSON") }),
        ("trailing_junk_in_header.safetensors", { _ in .invalidHeader(containing: "not valid JSON") }),
        ("non_utf8_header.safetensors", { _ in .invalidHeader(containing: "not valid UTF-8") }),
        ("huge_shape_overflow.safetensors", { .exactly(.shapeOverflow(path: $0, tensor: "a", shape: [4_294_967_296, 4_294_967_296, 16])) }),
        ("negative_shape.safetensors", { _ in .invalidHeader(containing: "tensor 'a': shape") }),
        ("fractional_shape.safetensors", { _ in .invalidHeader(containing: "tensor 'a': shape") }),
        ("bad_data_offsets.safetensors", { _ in .invalidHeader(containing: "tensor 'a': 'data_offsets'") }),
        ("missing_dtype.safetensors", { _ in .invalidHeader(containing: "tensor 'a': missing string field 'dtype'") }),
        ("entry_not_object.safetensors", { _ in .invalidHeader(containing: "tensor 'a': entry is an array") }),
        ("metadata_not_strings.safetensors", { _ in .invalidHeader(containing: "__metadata__.n is an integer") }),
        ("data_area_longer.safetensors", { .exactly(.dataSizeMismatch(path: $0, dataEnd: 8, dataAreaSize: 16)) }),
        ("data_area_shorter.safetensors", { .exactly(.dataSizeMismatch(path: $0, dataEnd: 16, dataAreaSize: 8)) }),
        ("name_with_newline.safetensors", { .exactly(.unknownDType(path: $0, tensor: "bad\nname", dtype: "X1")) }),
        // Model folders with an index.
        ("index_shard_dotdot", { .exactly(.unsafeShardName(path: $0 + "/model.safetensors.index.json", shard: "../outside.safetensors")) }),
        ("index_shard_subfolder", { .exactly(.unsafeShardName(path: $0 + "/model.safetensors.index.json", shard: "sub/model.safetensors")) }),
        ("index_missing_shard", { .exactly(.missingShard(path: $0 + "/model.safetensors.index.json", shard: s2)) }),
        ("index_tensor_in_two_shards", { .exactly(.tensorInTwoShards(tensor: "a", first: $0 + "/" + s1, second: $0 + "/" + s2)) }),
        ("index_tensor_absent_from_shard", { _ in .badIndex(containing: "tensor 'b' is not in its shard \(s1)") }),
        ("index_tensor_in_other_shard", { _ in .badIndex(containing: "tensor 'a' is listed in \(s2) but stored in \(s1)") }),
        ("index_unlisted_tensor", { _ in .badIndex(containing: "tensor 'extra' in ") }),
        ("index_duplicate_key", { _ in .badIndex(containing: "'a' is listed twice") }),
        ("index_not_object", { _ in .badIndex(containing: "not a JSON object") }),
        ("index_weight_map_not_strings", { _ in .badIndex(containing: "weight_map['a'] is an integer") }),
        ("index_malformed_shard", { .exactly(.truncated(path: $0 + "/" + s1, detail: "2 bytes, fewer than the 8-byte header length")) }),
        ("no_weights", { .exactly(.noWeights(path: $0)) }),
    ]

    @Test(arguments: cases.map(\.0))
    func malformedInputIsRefusedWithItsOwnError(name: String) throws {
        let path = Fixtures.path(Self.folder + name)
        let expected = Self.cases.first { $0.0 == name }!.1(path)
        let error = #expect(throws: WeightIOError.self, "\(name)") { _ = try WeightStore(path: path) }
        guard let error else { return }
        #expect(expected.matches(error, path: path), "\(name): got \(error), expected \(expected)")
        #expect(!error.description.contains("\n"), "the message is one line")
        #expect(error.description.contains(path), "the message names the file: \(error.description)")
    }

    /// Single files also fail the same way through `SafeTensorsFile` directly.
    @Test(arguments: cases.map(\.0).filter { $0.hasSuffix(".safetensors") })
    func safeTensorsFileRefusesTheSame(name: String) throws {
        let path = Fixtures.path(Self.folder + name)
        let expected = Self.cases.first { $0.0 == name }!.1(path)
        let error = #expect(throws: WeightIOError.self) { _ = try SafeTensorsFile(path: path) }
        if let error { #expect(expected.matches(error, path: path), "\(name): got \(error)") }
    }

    /// Every file and folder of the corpus is covered by a case above.
    @Test func everyCorpusEntryHasACase() throws {
        let entries = try FileManager.default.contentsOfDirectory(atPath: Fixtures.path(Self.folder)).sorted()
        #expect(entries == Self.cases.map(\.0).sorted())
        #expect(entries.count >= 12)
    }

    @Test func missingPathIsCannotOpen() {
        #expect(throws: WeightIOError.cannotOpen(path: "/nonexistent/model", reason: "no such file or folder")) {
            try WeightStore(path: "/nonexistent/model")
        }
        let error = #expect(throws: WeightIOError.self) { try SafeTensorsFile(path: "/nonexistent/x.safetensors") }
        guard case .cannotOpen(path: "/nonexistent/x.safetensors", reason: _)? = error else {
            Issue.record("expected cannotOpen, got \(String(describing: error))")
            return
        }
    }

    @Test func aFolderIsNotASafetensorsFile() throws {
        let error = #expect(throws: WeightIOError.self) { try SafeTensorsFile(path: Fixtures.path("safetensors/sharded")) }
        guard case .cannotOpen(path: _, reason: "not a regular file")? = error else {
            Issue.record("expected cannotOpen, got \(String(describing: error))")
            return
        }
    }

    @Test func controlCharactersInMessagesAreEscaped() {
        let error = WeightIOError.unknownDType(path: "f", tensor: "a\nb\tc\u{0}d", dtype: "X")
        #expect(error.description == #"f: tensor 'a\nb\tc\u{0}d' has unknown dtype 'X'"#)
        let nested = WeightIOError.inFile(path: "dir", underlying: error)
        #expect(!nested.description.contains("\n"))
    }
}
