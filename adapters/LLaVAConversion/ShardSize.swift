/// A maximum shard size in bytes, parsed as transformers' `convert_file_size_to_int` does:
/// decimal units `KB`/`MB`/`GB`/`TB` (10³ⁿ), binary units `KiB`/`MiB`/`GiB`/`TiB` (2¹⁰ⁿ), a bare
/// number of bytes, or `B`. Case and spaces do not matter (`5gb`, `1.5 GB`); `K`/`M`/`G`/`T`
/// alone are decimal.
public struct ShardSize: Sendable, Equatable, CustomStringConvertible {
    /// The limit in bytes (at least 1).
    public let bytes: Int

    /// transformers' default, `5GB`.
    public static let `default` = ShardSize(checkedBytes: 5_000_000_000)

    private init(checkedBytes: Int) { bytes = checkedBytes }

    /// A limit of `bytes` bytes (which must be positive).
    public init(bytes: Int) throws {
        guard bytes > 0 else { throw ConversionError.invalidShardSize(String(bytes)) }
        self.bytes = bytes
    }

    /// Parses `5GB`, `500MB`, `2GiB`, `1.5 GB`, `1000000`.
    public init(parsing text: String) throws {
        let compact = text.filter { !$0.isWhitespace }.lowercased()
        let digits = compact.prefix { $0.isNumber || $0 == "." }
        let unit = String(compact.dropFirst(digits.count))
        let multipliers: [String: Double] = [
            "": 1, "b": 1,
            "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
            "kib": 1024, "mib": 1_048_576, "gib": 1_073_741_824, "tib": 1_099_511_627_776,
        ]
        guard !digits.isEmpty, digits.filter({ $0 == "." }).count <= 1, let number = Double(digits),
              let multiplier = multipliers[unit] else { throw ConversionError.invalidShardSize(text) }
        let value = (number * multiplier).rounded(.down)
        guard value.isFinite, value >= 1, value < 9e18 else { throw ConversionError.invalidShardSize(text) }
        bytes = Int(value)
    }

    public var description: String { "\(bytes) bytes" }
}
