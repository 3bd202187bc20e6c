import Foundation
import FuzzTargets
import Imaging
import Testing
import Tokenizer

/// The inputs fuzzing found (`Fuzz/Regressions/TARGET/`: each finding, and a few `corpus-…`
/// inputs from the long run that reach deep into the parser), replayed through the same
/// `FuzzTarget.run` the libFuzzer executable calls: each must come back (refused or read) without
/// a trap. What each finding did before its fix is checked on its own below.
struct FuzzRegressionTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz/Regressions")

    /// (target, file) for every regression input.
    static var inputs: [(FuzzTarget, String)] {
        FuzzTarget.allCases.flatMap { target in
            let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent(target.rawValue).path)) ?? []
            return files.filter { !$0.hasPrefix(".") }.sorted().map { (target, $0) }
        }
    }

    static func bytes(_ target: FuzzTarget, _ file: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: folder.appendingPathComponent(target.rawValue).appendingPathComponent(file)))
    }

    @Test func everyTargetHasARegressionFolderOrNone() {
        // A folder under Fuzz/Regressions must name a target, or its inputs would never be replayed.
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: Self.folder.path)) ?? []
        for name in folders where !name.hasPrefix(".") { #expect(FuzzTarget(rawValue: name) != nil, "Fuzz/Regressions/\(name)") }
        #expect(!Self.inputs.isEmpty)
    }

    @Test(arguments: inputs.map { "\($0.0.rawValue)/\($0.1)" })
    func replays(_ input: String) throws {
        let parts = input.split(separator: "/").map(String.init)
        let target = try #require(FuzzTarget(rawValue: parts[0]))
        let bytes = try Self.bytes(target, parts[1])
        bytes.withUnsafeBytes { target.run($0) }
    }

    /// A 141-byte 17×9 16-bit grey PNG whose zlib stream stb_image kept inflating past the IDAT
    /// data (reading zeros), reallocating up to 1.5 GB; the allocation bound from the header
    /// refuses it as corrupt.
    @Test func pngInflatingPastItsHeaderIsCorrupt() throws {
        let bytes = try Self.bytes(.image, "png16-inflate-1.5GB.png")
        #expect(bytes.count == 141)
        #expect {
            try ImageDecoder().decode(bytes, source: "bomb.png")
        } throws: { error in
            guard case let .corrupt(file, format, reason) = error as? ImagingError else { return false }
            return file == "bomb.png" && format == .png && reason.contains("17×9")
        }
    }

    /// A request whose data-URL PNG declares 2641626946×4005730913 pixels: the refusal's message
    /// multiplied the sides and trapped on the overflow; it now names the sides alone.
    @Test func tooLargeMessageSurvivesSidesWhoseProductOverflows() {
        let error = ImagingError.tooLarge(file: "a.png", width: 2_641_626_946, height: 4_005_730_913, limit: 1_000_000)
        #expect(error.description == "a.png: 2641626946×4005730913 pixels exceeds the limit of 1000000 pixels")
        #expect(ImagingError.tooLarge(file: "b.png", width: 3, height: 2, limit: 5).description
            == "b.png: 3×2 = 6 pixels exceeds the limit of 5 pixels")
    }

    /// A 34 KB tokenizer.json whose vocabulary gives one token the id 10,111,075: the id table,
    /// a slice per id up to the largest, took 323 MB. Ids now stop at 2^21 (8 times the largest
    /// released vocabulary) and the table costs 4 bytes an id.
    @Test func vocabularyIdsBeyondTheLimitAreRefused() throws {
        let path = Self.folder.appendingPathComponent("tokenizer-json/vocab-id-16M-oom.json").path
        #expect {
            try Tokenizer(tokenizerJSON: path)
        } throws: { error in
            "\(error)".contains("is out of range 0...2097152")
        }
    }
}
