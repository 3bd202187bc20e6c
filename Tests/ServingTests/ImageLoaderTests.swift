import Foundation
import Imaging
import Serving
import Testing

@Suite struct ImageLoaderTests {
    private let png = try! ImageDecoder.readFile(ServingFixtures.fixtures + "/llava/sample.png")
    private func reference(_ url: String) -> ImageReference {
        ImageReference(url: url, detail: nil, param: "messages[0].content[1].image_url.url")
    }
    private func failure(_ loader: ImageLoader, _ url: String) -> APIError? {
        do { _ = try loader.load(reference(url)); return nil } catch { return error }
    }

    @Test func decodesAPNGDataURL() throws {
        let url = "data:image/png;base64," + Data(png).base64EncodedString()
        let image = try ImageLoader().load(reference(url))
        #expect(image == (try ImageDecoder().decode(png)))
        #expect(try ImageLoader().bytes(of: reference(url)) == png)
    }

    @Test(arguments: [
        "data:image/png;base64,iVBORw0KGgo",          // length not a multiple of 4
        "data:image/png;base64,iVBO Rw0K",            // whitespace
        "data:image/png;base64,iVBORw0KGgo=AAA",      // data after padding
        "data:image/png;base64,iVBORw0KGgp=",         // non-zero pad bits
        "data:image/png;base64,iVBO*w0K",             // outside the alphabet
        "data:image/png,iVBORw0K",                    // not base64
        "data:text/plain;base64,aGVsbG8=",            // not an image type
        "data:image/png;base64",                      // no data
    ])
    func refusesBadDataURLs(_ url: String) throws {
        let error = try #require(failure(ImageLoader(), url), "\(url)")
        #expect(error.status == 400 && error.param == "messages[0].content[1].image_url.url", "\(error)")
    }

    @Test func nonImageTruncatedAndOversizeAre400s() throws {
        let text = try #require(failure(ImageLoader(), "data:image/png;base64," + Data("hello, world".utf8).base64EncodedString()))
        #expect(text.status == 400 && text.code == "invalid_image" && text.message.contains("messages[0].content[1]"))
        let truncated = try #require(failure(ImageLoader(), "data:image/png;base64," + Data(png.prefix(png.count / 2)).base64EncodedString()))
        #expect(truncated.status == 400 && truncated.param == "messages[0].content[1].image_url.url")
        let url = "data:image/png;base64," + Data(png).base64EncodedString()
        let oversize = try #require(failure(ImageLoader(maxBytes: png.count - 1), url))
        #expect(oversize.status == 400 && oversize.code == "image_too_large")
        let bomb = try #require(failure(ImageLoader(decoder: ImageDecoder(pixelLimit: 100)), url))
        #expect(bomb.status == 400 && bomb.code == "image_too_large" && bomb.message.contains("pixels"))
    }

    @Test func refusesTheNetworkAndOtherSchemes() throws {
        for url in ["https://example.com/cat.png", "HTTP://example.com/cat.png", "ftp://example.com/cat.png"] {
            let error = try #require(failure(ImageLoader(allowedDirectory: "/tmp"), url))
            #expect(error.status == 400 && error.code == "unsupported_value", "\(url)")
        }
    }

    @Test func readsPathsOnlyUnderTheAllowedFolder() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("serving-\(UUID().uuidString)").path
        let allowed = base + "/allowed"
        try FileManager.default.createDirectory(atPath: allowed + "/sub", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        try Data(png).write(to: URL(fileURLWithPath: allowed + "/sub/a b.png"))
        try Data(png).write(to: URL(fileURLWithPath: base + "/secret.png"))
        try FileManager.default.createSymbolicLink(atPath: allowed + "/link.png", withDestinationPath: base + "/secret.png")

        let loader = ImageLoader(allowedDirectory: allowed)
        #expect(try loader.bytes(of: reference(allowed + "/sub/a b.png")) == png)
        #expect(try loader.bytes(of: reference("sub/a b.png")) == png)
        #expect(try loader.bytes(of: reference("file://" + allowed + "/sub/a%20b.png")) == png)
        for url in [base + "/secret.png", allowed + "/../secret.png", "../secret.png", "file://" + allowed + "/../secret.png", allowed + "/link.png"] {
            let error = try #require(failure(loader, url), "\(url)")
            #expect(error.status == 400 && error.code == "forbidden_path", "\(url): \(error)")
        }
        #expect(failure(loader, allowed + "/missing.png")?.status == 400)
        #expect(failure(loader, allowed + "/sub")?.status == 400)
        #expect(failure(ImageLoader(), allowed + "/sub/a b.png")?.code == "unsupported_value")
    }
}
