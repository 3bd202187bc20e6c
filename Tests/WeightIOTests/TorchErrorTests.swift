import Foundation
import Testing
import Tensors
@testable import WeightIO

/// Bad checkpoints: each gives its own typed error naming the file; the malicious pickles are
/// refused at the global they name, before anything could be called.
@Suite struct TorchErrorTests {
    static let cases: [(file: String, problem: WeightIOErrorMaker)] = [
        ("legacy.bin", { .torch(path: $0, problem: .legacyFormat) }),
        ("truncated.bin", { .zip(path: $0, problem: .noEndOfCentralDirectory) }),
        ("compressed.bin", { .zip(path: $0, problem: .compressed(entry: "pytorch_model/data/0", method: 8)) }),
        ("bad-storage-key.bin", { .torch(path: $0, problem: .missingStorage(key: "9", record: "archive/data/9")) }),
        ("short-storage.bin", { .torch(path: $0, problem: .storageSize(key: "0", expectedBytes: 8, actualBytes: 4)) }),
        ("out-of-bounds.bin", { .torch(path: $0, problem: .tensorOutOfBounds(
            tensor: "w", detail: "offset 0, size [3], stride [1] reach element 2 of a storage of 2")) }),
        ("dtype-conflict.bin", { .torch(path: $0, problem: .storageDTypeConflict(key: "0", first: .f32, second: .f16)) }),
        ("duplicate-entry.bin", { .zip(path: $0, problem: .duplicateEntry("archive/data/0")) }),
        ("malicious-os-system.bin", { .torch(path: $0, problem: .disallowedGlobal("os.system")) }),
        ("malicious-eval.bin", { .torch(path: $0, problem: .disallowedGlobal("builtins.eval")) }),
        ("expected.safetensors", { .zip(path: $0, problem: .noEndOfCentralDirectory) }),
    ]
    typealias WeightIOErrorMaker = @Sendable (String) -> WeightIOError

    @Test(arguments: cases.map(\.file))
    func badFileGivesItsError(_ file: String) throws {
        let path = TorchFixtures.path(file)
        let expected = Self.cases.first { $0.file == file }!.problem(path)
        #expect(throws: expected) { try TorchCheckpoint(path: path) }
        #expect(!expected.description.contains("\n"))
        #expect(expected.description.hasPrefix(path + ": "))
    }

    @Test func messagesAreReadable() {
        #expect(WeightIOError.torch(path: "m.bin", problem: .disallowedGlobal("os.system")).description
            == "m.bin: PyTorch checkpoint: pickle refers to global 'os.system', which is not allowed in a state dict")
        #expect(WeightIOError.zip(path: "m.bin", problem: .compressed(entry: "archive/data/0", method: 8)).description
            == "m.bin: ZIP entry 'archive/data/0' is compressed (method 8); only stored entries are supported")
        #expect(WeightIOError.torch(path: "m.bin", problem: .legacyFormat).description.hasPrefix("m.bin: PyTorch checkpoint: unsupported legacy"))
    }

    /// A malicious `pytorch_model.bin` in a model folder fails the store the same way.
    @Test func weightStorePropagatesTheError() throws {
        let folder = try TorchFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let target = folder.appendingPathComponent("pytorch_model.bin").path
        try FileManager.default.copyItem(atPath: TorchFixtures.path("malicious-os-system.bin"), toPath: target)
        #expect(throws: WeightIOError.torch(path: target, problem: .disallowedGlobal("os.system"))) {
            try WeightStore(path: folder.path)
        }
    }

    @Test func emptyAndTinyFiles() throws {
        let folder = try TorchFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let empty = folder.appendingPathComponent("empty.bin").path
        try FileBytes.writeAtomically([], to: empty)
        #expect(throws: WeightIOError.zip(path: empty, problem: .noEndOfCentralDirectory)) { try TorchCheckpoint(path: empty) }
        let tar = folder.appendingPathComponent("tar.bin").path
        try FileBytes.writeAtomically([UInt8](repeating: 0, count: 257) + Array("ustar".utf8) + [UInt8](repeating: 0, count: 250), to: tar)
        #expect(throws: WeightIOError.torch(path: tar, problem: .legacyFormat)) { try TorchCheckpoint(path: tar) }
    }
}
