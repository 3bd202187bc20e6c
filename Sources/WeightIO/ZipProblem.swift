/// What is wrong with a ZIP archive (carried by `WeightIOError.zip`, which names the file).
public enum ZipProblem: Sendable, Equatable, CustomStringConvertible {
    /// No end-of-central-directory record at the end of the file.
    case noEndOfCentralDirectory
    /// The ZIP64 locator or end-of-central-directory record is malformed.
    case badZip64Record(String)
    /// The archive spans several disks.
    case multipleDisks
    /// The central directory does not lie inside the file or is malformed.
    case badCentralDirectory(String)
    /// Two entries share a name.
    case duplicateEntry(String)
    /// No entry has this name.
    case missingEntry(String)
    /// An entry's local header or data does not lie where the central directory says.
    case badEntry(entry: String, detail: String)
    /// An entry is compressed (only stored entries can be mapped).
    case compressed(entry: String, method: UInt16)
    /// An entry is encrypted.
    case encrypted(entry: String)

    public var description: String {
        switch self {
        case .noEndOfCentralDirectory: return "no ZIP end-of-central-directory record (not a ZIP archive, or truncated)"
        case let .badZip64Record(detail): return "bad ZIP64 end-of-central-directory record: \(detail)"
        case .multipleDisks: return "multi-disk ZIP archives are not supported"
        case let .badCentralDirectory(detail): return "bad ZIP central directory: \(detail)"
        case let .duplicateEntry(name): return "ZIP entry '\(name)' appears twice"
        case let .missingEntry(name): return "no ZIP entry '\(name)'"
        case let .badEntry(name, detail): return "ZIP entry '\(name)': \(detail)"
        case let .compressed(name, method):
            return "ZIP entry '\(name)' is compressed (method \(method)); only stored entries are supported"
        case let .encrypted(name): return "ZIP entry '\(name)' is encrypted"
        }
    }
}
