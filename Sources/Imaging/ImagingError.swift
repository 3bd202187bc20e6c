/// Everything that can go wrong in `Imaging`. Each case names the file (or the label given for
/// in-memory data) and the problem; `description` is one line, fit for a CLI error message.
public enum ImagingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened or read.
    case unreadable(file: String, reason: String)
    /// The file holds no bytes.
    case empty(file: String)
    /// The leading bytes are not those of a JPEG, PNG, BMP or GIF.
    case unknownFormat(file: String)
    /// The header declares more pixels than the decoder's limit; nothing was decoded.
    case tooLarge(file: String, width: Int, height: Int, limit: Int)
    /// The data ends before the image does (Pillow: "image file is truncated").
    case truncated(file: String, format: ImageFormat)
    /// The decoder rejected the data; `reason` is its message.
    case corrupt(file: String, format: ImageFormat, reason: String)
    /// A valid file of a kind this module does not read (e.g. a 2-component JPEG).
    case unsupported(file: String, format: ImageFormat, reason: String)
    /// A caller-supplied size or setting is out of range (e.g. a crop of 0 pixels, no pinpoints).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason): "\(file): cannot read the file: \(reason)"
        case let .empty(file): "\(file): the file is empty"
        case let .unknownFormat(file): "\(file): not a JPEG, PNG, BMP or GIF image (unrecognised leading bytes)"
        case let .tooLarge(file, width, height, limit):
            // A header's sides may be any 32-bit values: their product is shown only when it fits.
            if case let (pixels, false) = width.multipliedReportingOverflow(by: height) {
                "\(file): \(width)×\(height) = \(pixels) pixels exceeds the limit of \(limit) pixels"
            } else {
                "\(file): \(width)×\(height) pixels exceeds the limit of \(limit) pixels"
            }
        case let .truncated(file, format): "\(file): \(format.rawValue) image file is truncated"
        case let .corrupt(file, format, reason): "\(file): cannot decode \(format.rawValue): \(reason)"
        case let .unsupported(file, format, reason): "\(file): unsupported \(format.rawValue): \(reason)"
        case let .invalidArgument(message): "invalid argument: \(message)"
        }
    }
}
