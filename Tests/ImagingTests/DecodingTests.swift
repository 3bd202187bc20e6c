import Foundation
import Imaging
import Testing
import Tensors

/// Decoding is byte-exact with Pillow 13's `Image.open(f).convert("RGB")` (JPEG via libjpeg-turbo,
/// PNG/BMP/GIF via stb_image), and every bad file is a specific `ImagingError`.
@Suite struct DecodingTests {
    static let decodable = ImageFixtures.names("decode/").map { String($0.dropFirst("decode/".count)) }

    @Test(arguments: decodable)
    func decodesLikePillow(_ file: String) throws {
        let image = try ImageDecoder().decode(contentsOf: ImageFixtures.path(file))
        let expected = ImageFixtures.image("decode/\(file)")
        #expect(image.size == expected.size)
        let mismatch = byteMismatch(image.pixels, expected.pixels)
        #expect(mismatch.count == 0, "\(file): \(mismatch.count) bytes differ, by up to \(mismatch.largest)")
    }

    /// transformers' `convert_to_rgb` composites transparency onto white (Pillow's alpha_composite).
    @Test(arguments: ImageFixtures.names("decode_white/").map { String($0.dropFirst("decode_white/".count)) })
    func compositesOnWhiteLikeTransformers(_ file: String) throws {
        let image = try ImageDecoder(alpha: .compositeOnWhite).decode(contentsOf: ImageFixtures.path(file))
        let mismatch = byteMismatch(image.pixels, ImageFixtures.bytes("decode_white/\(file)"))
        #expect(mismatch.count == 0, "\(file): \(mismatch.count) bytes differ, by up to \(mismatch.largest)")
    }

    @Test func compositingLeavesOpaqueImagesAlone() throws {
        for file in ["photo420.jpg", "palette.gif", "gray.png", "image.bmp", "bmp32.bmp", "partial_palette.gif"] {
            let image = try ImageDecoder(alpha: .compositeOnWhite).decode(contentsOf: ImageFixtures.path(file))
            #expect(image.pixels == ImageFixtures.bytes("decode/\(file)"), "\(file)")
        }
    }

    @Test func formatComesFromMagicBytesNotTheName() throws {
        let info = try ImageDecoder().inspect(contentsOf: ImageFixtures.path("png_named.jpg"))
        #expect(info.format == .png)
        #expect(info.size == ImageSize(width: 19, height: 13))
        #expect(try ImageDecoder().inspect(contentsOf: ImageFixtures.path("photo420.jpg")).size == ImageSize(width: 97, height: 61))
    }

    /// Files Pillow refuses, each refused with its own error.
    @Test(arguments: [
        ("truncated.jpg", ImageFormat.jpeg), ("truncated.gif", .gif), ("truncated.bmp", .bmp),
    ])
    func truncatedFilesAreTruncated(_ file: String, _ format: ImageFormat) {
        let path = ImageFixtures.path(file)
        #expect(throws: ImagingError.truncated(file: path, format: format)) { try ImageDecoder().decode(contentsOf: path) }
    }

    /// An RLE8 BMP, which Pillow decodes but stb_image cannot: refused, not misread.
    @Test func rleBMPIsUnsupported() {
        let path = ImageFixtures.path("rle8.bmp")
        #expect(throws: ImagingError.unsupported(file: path, format: .bmp, reason: "RLE-compressed BMP")) {
            try ImageDecoder().decode(contentsOf: path)
        }
    }

    /// A 68-byte PNG declaring 100000×100000 is refused from its header, before any decoding.
    @Test func hugeHeaderIsRefusedBeforeDecoding() throws {
        let path = ImageFixtures.path("huge.png")
        #expect(throws: ImagingError.tooLarge(file: path, width: 100_000, height: 100_000, limit: 100_000_000)) {
            try ImageDecoder().decode(contentsOf: path)
        }
        // The limit is configurable and applies to every format.
        let photo = ImageFixtures.path("photo420.jpg")
        #expect(throws: ImagingError.tooLarge(file: photo, width: 97, height: 61, limit: 5000)) {
            try ImageDecoder(pixelLimit: 5000).decode(contentsOf: photo)
        }
        #expect(throws: ImagingError.tooLarge(file: "gif", width: 29, height: 18, limit: 100)) {
            try ImageDecoder(pixelLimit: 100).decode(try bytes("palette.gif"), source: "gif")
        }
        #expect(try ImageDecoder(pixelLimit: 97 * 61).decode(contentsOf: photo).width == 97)
    }

    @Test func emptyUnknownCorruptAndMissingFiles() {
        let empty = ImageFixtures.path("empty.jpg")
        #expect(throws: ImagingError.empty(file: empty)) { try ImageDecoder().decode(contentsOf: empty) }
        let garbage = ImageFixtures.path("garbage.png")
        #expect(throws: ImagingError.unknownFormat(file: garbage)) { try ImageDecoder().decode(contentsOf: garbage) }
        let corrupt = ImageFixtures.path("corrupt.png")
        #expect {
            try ImageDecoder().decode(contentsOf: corrupt)
        } throws: { error in
            guard case let .corrupt(file, format, reason) = error as? ImagingError else { return false }
            return file == corrupt && format == .png && !reason.isEmpty
        }
        let missing = ImageFixtures.path("no-such-image.png")
        #expect(throws: ImagingError.unreadable(file: missing, reason: "No such file or directory")) {
            try ImageDecoder().decode(contentsOf: missing)
        }
        #expect(throws: ImagingError.unreadable(file: ImageFixtures.directory.path, reason: "not a regular file")) {
            try ImageDecoder().decode(contentsOf: ImageFixtures.directory.path)
        }
    }

    @Test func descriptionsAreOneLineNamingTheFile() {
        let errors: [ImagingError] = [
            .unreadable(file: "a.png", reason: "No such file or directory"), .empty(file: "a.png"),
            .unknownFormat(file: "a.png"), .tooLarge(file: "a.png", width: 100_000, height: 100_000, limit: 100_000_000),
            .truncated(file: "a.png", format: .jpeg), .corrupt(file: "a.png", format: .png, reason: "bad zlib header"),
            .unsupported(file: "a.png", format: .jpeg, reason: "cannot handle 2-layer images"),
        ]
        for error in errors {
            #expect(error.description.hasPrefix("a.png: "))
            #expect(!error.description.contains("\n"))
        }
        #expect(ImagingError.truncated(file: "x.jpg", format: .jpeg).description == "x.jpg: JPEG image file is truncated")
    }

    /// Every prefix of every fixture, and single-byte corruptions, either decode or throw an
    /// `ImagingError`: never a crash or an exit from libjpeg.
    @Test func cutAndDamagedFilesNeverCrash() throws {
        var generator = SplitMix64(seed: 7)
        for file in ["photo420.jpg", "progressive.jpg", "cmyk.jpg", "rgba.png", "palette.gif", "transparent.gif",
                     "image.bmp", "bmp555.bmp", "gray16.png"] {
            let whole = try bytes(file)
            var lengths = Array(stride(from: 0, to: whole.count, by: max(1, whole.count / 40)))
            lengths += [1, 2, 3, 8, 20, whole.count - 1]
            for length in lengths {
                do { _ = try ImageDecoder().decode(Array(whole[..<length]), source: file) } catch {}
            }
            for _ in 0..<30 {
                var damaged = whole
                let at = Int(generator.next() % UInt64(whole.count))
                damaged[at] ^= UInt8(truncatingIfNeeded: generator.next() | 1)
                do { _ = try ImageDecoder().decode(damaged, source: file) } catch {}
            }
        }
        // A JPEG cut short is "truncated", like Pillow's "image file is truncated".
        let jpeg = try bytes("photo420.jpg")
        for length in [jpeg.count - 2, jpeg.count - 1, jpeg.count / 2, 700] {
            #expect(throws: ImagingError.truncated(file: "cut", format: .jpeg)) {
                try ImageDecoder().decode(Array(jpeg[..<length]), source: "cut")
            }
        }
    }

    private func bytes(_ file: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: ImageFixtures.directory.appendingPathComponent(file)))
    }
}
