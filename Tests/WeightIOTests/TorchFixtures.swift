import Foundation
import Tensors
import WeightIO

/// The PyTorch checkpoint fixtures in `Tests/Fixtures/torch` (written by `make_torch_fixtures.py`).
enum TorchFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/torch")

    static func path(_ name: String) -> String { root.appendingPathComponent(name).path }

    /// The contiguous reference copy of every tensor of the good `.bin` files, by name.
    static func expected() throws -> SafeTensorsFile { try SafeTensorsFile(path: path("expected.safetensors")) }

    /// The whole bytes of a fixture.
    static func bytes(_ name: String) throws -> [UInt8] { try FileBytes.read(path(name)) }

    /// A fresh empty folder under the temporary directory.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("torch-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Same dtype, shape and bytes.
func identical(_ a: Tensor, _ b: Tensor) -> Bool {
    a.dtype == b.dtype && a.shape == b.shape && Array(a.rawBytes) == Array(b.rawBytes)
}
