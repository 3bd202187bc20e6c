import Imaging
import LLaVA
import PyramidDrop
import Tensors
import Testing

/// The image cache's bookkeeping: content keys (pixels, size, the prompt's image count), the
/// least recently used entry evicted by bytes, entries recomputed when a request needs more tower
/// evidence than they hold, and nothing kept that exceeds the capacity.
@Suite struct ImageFeatureCacheTests {
    /// A `w × h` image whose pixels are all `value`.
    static func image(_ value: UInt8, width: Int = 4, height: Int = 4) -> RGBImage {
        RGBImage(width: width, height: height, pixels: [UInt8](repeating: value, count: width * height * 3))
    }

    /// Tokens of `rows × 4` floats (16 bytes a row), with a crop when `needs` asks for evidence.
    static func tokens(rows: Int, needs: VisionNeeds) -> ImageTokens {
        let features = Tensor(shape: [rows, 4], values: (0..<(rows * 4)).map(Float.init))
        guard !needs.isEmpty else { return ImageTokens(features: features) }
        let hidden = Tensor(shape: [3, 2], values: [Float](repeating: 1, count: 6))
        return ImageTokens(features: features, crops: [TowerCrop(hidden: hidden, heads: 1, patchSources: [0, 1])])
    }

    @Test func keysAndLeastRecentlyUsedEviction() throws {
        let cache = ImageFeatureCache(capacityBytes: 2 * 160)   // two entries of 10 rows
        var computed = 0
        func fetch(_ image: RGBImage, count: Int = 1) -> Bool {
            cache.tokens(for: image, imageCount: count, needs: []) { needs in computed += 1; return Self.tokens(rows: 10, needs: needs) }.hit
        }
        #expect(!fetch(Self.image(1)))
        #expect(fetch(Self.image(1)))
        #expect(!fetch(Self.image(1), count: 2), "another image count is another key")
        #expect(!fetch(Self.image(1, width: 2, height: 8)), "same bytes, other size: another key")
        // Capacity two: inserting the 2×8 image evicted the least recently used entry, image(1) alone;
        // bringing that back evicts image(1) of the 2-image prompt.
        #expect(!fetch(Self.image(1)))
        #expect(fetch(Self.image(1, width: 2, height: 8)))
        let stats = cache.statistics
        #expect(stats.entries == 2 && stats.bytes == 320)
        #expect(stats.hits == 2 && stats.misses == 4 && stats.evictions == 2)
        #expect(computed == 4)
    }

    @Test func moreEvidenceRecomputesWithTheUnion() {
        let cache = ImageFeatureCache(capacityBytes: 1 << 20)
        var asked: [VisionNeeds] = []
        func fetch(_ needs: VisionNeeds) -> (ImageTokens, Bool) {
            cache.tokens(for: Self.image(7), imageCount: 1, needs: needs) { asked.append($0); return Self.tokens(rows: 2, needs: $0) }
        }
        #expect(!fetch([]).1)
        #expect(!fetch(.classAttention).1)
        #expect(fetch(.classAttention).1)
        #expect(fetch([]).1)
        #expect(!fetch(.towerKeys).1)
        #expect(asked == [[], .classAttention, [.classAttention, .towerKeys]])
        let (tokens, hit) = fetch([.classAttention, .towerKeys])
        #expect(hit && tokens.crops.count == 1)
        #expect(cache.statistics.entries == 1)
    }

    @Test func anEntryOverTheCapacityIsNotKept() {
        let cache = ImageFeatureCache(capacityBytes: 100)
        for _ in 0..<2 {
            #expect(!cache.tokens(for: Self.image(3), imageCount: 1, needs: []) { Self.tokens(rows: 10, needs: $0) }.hit)
        }
        let stats = cache.statistics
        #expect(stats.misses == 2 && stats.hits == 0 && stats.entries == 0 && stats.bytes == 0 && stats.evictions == 0)
    }
}
