@testable import LLaVANeXT
import Tensors
import TestSupport
import Testing

/// LLaVA-OneVision's feature packing against transformers' `pack_image_features` on random
/// features (Tests/Fixtures/onevision/make_packing_fixtures.py): unpadding, the anyres_max_9
/// bilinear shrink of grids above 9 tiles' worth (a 6×6 grid of 4×4 features → 12×12), the
/// newline after every row, and a lone crop with one newline; token counts from the sizes alone.
@Suite struct OneVisionPackingTests {
    static let expected = Result { try Fixtures.tensors("onevision/packing.safetensors") }

    @Test(arguments: ["square_big", "wide", "tall", "small", "near", "single"])
    func matchesTransformers(name: String) throws {
        let expected = try Self.expected.get()
        let crops = try tensor(expected, "\(name)_crops"), newline = try tensor(expected, "\(name)_newline")
        let size = try tensor(expected, "\(name)_size").integers, grid = try tensor(expected, "\(name)_grid").integers
        let (count, patches, d) = (crops.shape[0], crops.shape[1], crops.shape[2])
        let values = crops.floats
        let perCrop = (0..<count).map { Tensor(shape: [patches, d], values: Array(values[($0 * patches * d)..<(($0 + 1) * patches * d)])) }
        let packed = FeaturePacking.packOneVision(crops: perCrop, gridRows: grid[0], gridColumns: grid[1], side: 4,
                                                  imageHeight: size[0], imageWidth: size[1], newline: newline, maxTiles: 9)
        let reference = try tensor(expected, "\(name)_packed")
        #expect(packed.shape == reference.shape)
        expectClose(packed, reference, relative: 0, absolute: 1e-6, name)
        let tokens = FeaturePacking.oneVisionTokenCount(imageHeight: size[0], imageWidth: size[1], gridRows: grid[0], gridColumns: grid[1],
                                                        side: 4, tiles: count > 1, maxTiles: 9)
        #expect(tokens == reference.shape[0])
    }

    /// Python's float floor division, which sizes the shrunk grid (values as CPython prints them).
    @Test func pythonFloorDivision() {
        #expect(FeaturePacking.pythonFloorDivide(24, 2) == 12)
        #expect(FeaturePacking.pythonFloorDivide(23, 1.9166666666666667) == 11)
        #expect(FeaturePacking.pythonFloorDivide(1, 0.1) == 9)   // Python: 1 // 0.1 == 9.0, though 1 / 0.1 == 10.0
        #expect(FeaturePacking.pythonFloorDivide(7, 0.7) == 10)
    }
}
