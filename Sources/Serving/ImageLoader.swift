#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Imaging

/// Turns a request's image URLs into images without touching the network: `data:image/…;base64,`
/// URLs are decoded (strict base64, at most `maxBytes` decoded bytes); `file://` URLs and plain
/// paths are read only from inside `allowedDirectory` (after resolving symlinks and `..`); http(s)
/// and other schemes are refused. Every failure is a 400 naming the URL's parameter.
public struct ImageLoader: Sendable {
    /// The one folder (with its subfolders) images may be read from by path; nil allows none.
    public var allowedDirectory: String?
    /// Largest image file accepted, in bytes.
    public var maxBytes: Int
    /// Decodes the bytes (its `pixelLimit` refuses decompression bombs before decoding).
    public var decoder: ImageDecoder

    /// Media types a data URL may declare (the decoder still checks the bytes themselves).
    public static let dataURLTypes = ["image/png", "image/jpeg", "image/jpg", "image/gif", "image/bmp", "image/webp"]

    public init(allowedDirectory: String? = nil, maxBytes: Int = 20_000_000, decoder: ImageDecoder = ImageDecoder()) {
        self.allowedDirectory = allowedDirectory
        self.maxBytes = maxBytes
        self.decoder = decoder
    }

    /// The image at `reference`.
    public func load(_ reference: ImageReference) throws(APIError) -> RGBImage {
        try decode(try bytes(of: reference), reference)
    }

    /// The encoded image bytes behind `reference` (what a cache would hash).
    public func bytes(of reference: ImageReference) throws(APIError) -> [UInt8] {
        let url = reference.url
        if url.hasPrefix("data:") { return try dataURLBytes(reference) }
        let lower = url.lowercased()
        if lower.hasPrefix("http://") || lower.hasPrefix("https://") {
            throw invalid(reference, "this server fetches nothing over the network; send the image as a data:image/…;base64, URL",
                          code: "unsupported_value")
        }
        if lower.hasPrefix("file://") { return try fileBytes(percentDecoded(String(url.dropFirst("file://".count))), reference) }
        if let colon = url.firstIndex(of: ":"), !url[..<colon].contains("/"), url[..<colon].count > 1 {
            throw invalid(reference, "unsupported URL scheme '\(url[..<colon])' (data: URLs, or file paths under the allowed folder)",
                          code: "unsupported_value")
        }
        return try fileBytes(url, reference)
    }

    /// Decodes encoded image bytes.
    public func decode(_ bytes: [UInt8], _ reference: ImageReference) throws(APIError) -> RGBImage {
        do {
            return try decoder.decode(bytes, source: reference.param)
        } catch {
            if case .tooLarge = error { throw invalid(reference, "\(error)", code: "image_too_large") }
            throw APIError.invalidRequest("\(error)", param: reference.param, code: "invalid_image")
        }
    }

    private func dataURLBytes(_ reference: ImageReference) throws(APIError) -> [UInt8] {
        let utf8 = reference.url.utf8
        guard let comma = utf8.firstIndex(of: UInt8(ascii: ",")) else { throw invalid(reference, "a data URL needs a ',' before its data") }
        let header = String(decoding: utf8[utf8.index(utf8.startIndex, offsetBy: 5)..<comma], as: UTF8.self).lowercased()
        let pieces = header.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        guard Self.dataURLTypes.contains(pieces[0]) else {
            throw invalid(reference, "data URL media type '\(pieces[0])' is not an image type we read (\(Self.dataURLTypes.joined(separator: ", ")))",
                          code: "invalid_image")
        }
        guard pieces.last == "base64" else { throw invalid(reference, "only base64 data URLs are accepted (data:image/png;base64,…)") }
        let payload = utf8[utf8.index(after: comma)...]
        guard payload.count / 4 * 3 <= maxBytes + 2 else {
            throw invalid(reference, "the image is larger than the limit of \(maxBytes) bytes", code: "image_too_large")
        }
        guard let bytes = Base64.decode(payload) else { throw invalid(reference, "the data URL's payload is not valid base64", code: "invalid_image") }
        guard bytes.count <= maxBytes else {
            throw invalid(reference, "the image is larger than the limit of \(maxBytes) bytes", code: "image_too_large")
        }
        return bytes
    }

    private func fileBytes(_ path: String, _ reference: ImageReference) throws(APIError) -> [UInt8] {
        guard let allowedDirectory else {
            throw invalid(reference, "image paths are not accepted by this server (start it with --allow-files DIR, or send a data: URL)",
                          code: "unsupported_value")
        }
        guard let root = Self.resolved(allowedDirectory) else { throw .serverError("the allowed image folder cannot be resolved") }
        let joined = path.hasPrefix("/") ? path : allowedDirectory + "/" + path
        guard let file = Self.resolved(joined) else { throw invalid(reference, "no such image file", code: "invalid_image") }
        guard file.hasPrefix(root.hasSuffix("/") ? root : root + "/") else {
            throw invalid(reference, "image paths must lie inside the allowed folder", code: "forbidden_path")
        }
        var info = stat()
        guard stat(file, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { throw invalid(reference, "not a regular file", code: "invalid_image") }
        guard Int(info.st_size) <= maxBytes else {
            throw invalid(reference, "the image is larger than the limit of \(maxBytes) bytes", code: "image_too_large")
        }
        do { return try ImageDecoder.readFile(file) } catch { throw invalid(reference, "\(error)", code: "invalid_image") }
    }

    /// `path` with symlinks, `.` and `..` resolved, or nil if it does not exist.
    private static func resolved(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    /// `%XX` escapes of a file URL's path decoded (nil-free: a malformed escape stays as written).
    private func percentDecoded(_ text: String) -> String {
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var i = 0
        while i < utf8.count {
            if utf8[i] == UInt8(ascii: "%"), i + 2 < utf8.count, let value = UInt8(String(decoding: utf8[i + 1...i + 2], as: UTF8.self), radix: 16) {
                bytes.append(value)
                i += 3
            } else {
                bytes.append(utf8[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func invalid(_ reference: ImageReference, _ reason: String, code: String = "invalid_value") -> APIError {
        .invalidRequest("'\(reference.param)': \(reason)", param: reference.param, code: code)
    }
}
