import Foundation
import Testing
import Tensors
@testable import WeightIO

/// The ZIP reader on its own, and robustness: truncations and corrupted bytes anywhere in a
/// checkpoint give a `WeightIOError` (never a crash).
@Suite struct TorchZipTests {
    /// Opens `bytes` as a checkpoint in memory and reads every byte of every tensor; returns
    /// the number of tensors.
    @discardableResult
    static func load(_ bytes: [UInt8], path: String = "memory.bin") throws -> Int {
        try bytes.withUnsafeBytes { raw in
            let checkpoint = try TorchCheckpoint(bytes: raw, owner: NSObject(), path: path)
            for name in checkpoint.names {
                _ = try checkpoint.tensor(name).rawBytes.reduce(0 as UInt8, &+)
            }
            return checkpoint.names.count
        }
    }

    /// torch writes ZIP64 end records and data descriptors even for small files; `zip64.bin`
    /// also saturates every header field. Both list the same records.
    @Test func zip64AndPlainDirectoriesAgree() throws {
        let plain = try ZipArchive(file: MappedFile(path: TorchFixtures.path("single/pytorch_model.bin")))
        let zip64 = try ZipArchive(file: MappedFile(path: TorchFixtures.path("zip64.bin")))
        #expect(plain.entries.map(\.name) == zip64.entries.map(\.name))
        #expect(plain.entries.map(\.uncompressedSize) == zip64.entries.map(\.uncompressedSize))
        #expect(plain.entries.first?.name == "pytorch_model/data.pkl")
        // Sizes in a data descriptor: the local header's are zero (torch skips it for empty records).
        #expect(plain.entries.filter { $0.flags & 0x8 == 0 }.allSatisfy { $0.uncompressedSize == 0 })
        for entry in plain.entries {
            #expect(Array(try plain.contents(of: entry)) == Array(try zip64.contents(of: entry.name)), "\(entry.name)")
        }
        // Records are 64-byte aligned.
        let mapped = try MappedFile(path: TorchFixtures.path("single/pytorch_model.bin"))
        let archive = try ZipArchive(file: mapped)
        for entry in archive.entries where entry.name.contains("/data/") {
            #expect((try archive.contents(of: entry).baseAddress! - mapped.bytes.baseAddress!) % 64 == 0)
        }
    }

    @Test func entriesAndErrors() throws {
        let path = TorchFixtures.path("compressed.bin")
        let archive = try ZipArchive(file: MappedFile(path: path))
        #expect(archive.entry(named: "pytorch_model/data/0")?.method == 8)
        #expect(try archive.contents(of: "pytorch_model/byteorder").elementsEqual("little".utf8))
        #expect(throws: WeightIOError.zip(path: path, problem: .compressed(entry: "pytorch_model/data/0", method: 8))) {
            try archive.contents(of: "pytorch_model/data/0")
        }
        #expect(throws: WeightIOError.zip(path: path, problem: .missingEntry("nope"))) { try archive.contents(of: "nope") }
    }

    /// A corrupted local header, or a central directory pointing past the file.
    @Test func corruptedHeaders() throws {
        var bytes = try TorchFixtures.bytes("handmade.bin")
        let archive = try bytes.withUnsafeBytes { try ZipArchive(bytes: $0, path: "h.bin", owner: nil) }
        let entry = archive.entry(named: "archive/data/0")!
        bytes[entry.localHeaderOffset] ^= 0xFF
        #expect(throws: WeightIOError.zip(path: "h.bin", problem: .badEntry(entry: "archive/data/0", detail: "no local header signature at \(entry.localHeaderOffset)"))) {
            try Self.load(bytes, path: "h.bin")
        }

        // The ZIP64 end record's central-directory offset (8 bytes at +48) moved past the file.
        var moved = try TorchFixtures.bytes("handmade.bin")
        let record = moved.count - 22 - 20 - 56
        #expect(moved[record..<(record + 4)].elementsEqual([0x50, 0x4B, 0x06, 0x06]))
        moved[record + 48 + 6] = 0x01
        #expect(throws: WeightIOError.self) { try Self.load(moved) }
        do { try Self.load(moved) } catch let error as WeightIOError {
            guard case .zip(_, .badCentralDirectory) = error else { Issue.record("\(error)"); return }
        }
    }

    /// Every prefix of a checkpoint fails cleanly; only the whole file opens.
    @Test func everyTruncationIsAnError() throws {
        let bytes = try TorchFixtures.bytes("handmade.bin")
        for length in 0..<bytes.count {
            #expect(throws: WeightIOError.self, "\(length) bytes") { try Self.load(Array(bytes[..<length])) }
        }
        #expect(try Self.load(bytes) == 1)
    }

    /// Overwriting any single byte of a checkpoint either still opens or is a WeightIOError:
    /// every byte of a small archive with three values, every byte of torch's own file with one.
    @Test(arguments: [("handmade.bin", [0x00, 0xFF, 0x80] as [UInt8]), ("single/pytorch_model.bin", [0xFF])])
    func everyCorruptedByteIsHandled(_ file: String, _ masks: [UInt8]) throws {
        let original = try TorchFixtures.bytes(file)
        var failures = 0
        for offset in 0..<original.count {
            for mask in masks {
                var bytes = original
                bytes[offset] = mask == 0 ? 0 : bytes[offset] ^ mask
                guard bytes[offset] != original[offset] else { continue }
                do { try Self.load(bytes) } catch is WeightIOError { failures += 1 }
            }
        }
        #expect(failures > 0)
    }
}
