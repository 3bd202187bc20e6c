import WeightIO

/// Digests of test outputs, to compare with those the fixture script computed with `hashlib.sha256`.
func sha256Hex(_ bytes: [UInt8]) -> String { SHA256.hex(bytes) }
func sha256Hex(_ floats: [Float]) -> String { floats.withUnsafeBytes { SHA256.hex($0) } }  // little-endian hosts
