import Foundation
import Imaging
import PyramidDrop
import Tensors
import WeightIO

/// Image tokens by the content of the image: a bounded least-recently-used cache, so a second
/// question about the same picture skips the vision tower. An entry keeps the projected features
/// and whatever tower evidence pre-decoder policies asked for ([CLS] attention, keys, feature-layer
/// rows); a later request needing more evidence recomputes the entry with the union of both needs.
///
/// The key is the SHA-256 of the decoded pixels with their size and the prompt's image count (an
/// encoder may treat an image differently when it shares the prompt, as LLaVA-OneVision does).
/// Entries are counted by the bytes of their tensors; the least recently used go first when a new
/// one would pass `capacityBytes`, and an entry larger than the whole capacity is not kept.
public final class ImageFeatureCache: @unchecked Sendable {
    /// What the cache holds and has done.
    public struct Statistics: Sendable, Equatable {
        public var hits = 0, misses = 0, evictions = 0
        public var entries = 0, bytes = 0
    }

    /// The largest total of entry bytes kept.
    public let capacityBytes: Int
    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    /// Keys from least to most recently used.
    private var order: [String] = []
    private var stats = Statistics()

    private struct Entry {
        var tokens: ImageTokens
        var needs: VisionNeeds
        var bytes: Int
    }

    public init(capacityBytes: Int) {
        precondition(capacityBytes >= 0, "ImageFeatureCache: negative capacity")
        self.capacityBytes = capacityBytes
    }

    public var statistics: Statistics { lock.withLock { stats } }

    /// The tokens of `image` in a prompt of `imageCount` images with at least `needs`' evidence:
    /// from the cache, or from `compute` (called with the needs to compute, outside the lock) and
    /// then kept. `hit` says which.
    public func tokens(for image: RGBImage, imageCount: Int, needs: VisionNeeds,
                       compute: (VisionNeeds) throws -> ImageTokens) rethrows -> (tokens: ImageTokens, hit: Bool) {
        let key = Self.key(image, imageCount: imageCount)
        let cached: Entry? = lock.withLock {
            guard let entry = entries[key], entry.needs.isSuperset(of: needs) else { return nil }
            touch(key)
            stats.hits += 1
            return entry
        }
        if let cached { return (cached.tokens, true) }
        let wanted = needs.union(lock.withLock { entries[key]?.needs ?? [] })
        let tokens = try compute(wanted)
        lock.withLock {
            stats.misses += 1
            insert(Entry(tokens: tokens, needs: wanted, bytes: Self.bytes(of: tokens)), for: key)
        }
        return (tokens, false)
    }

    /// The content key: SHA-256 over a version tag, the image count, the size and the pixels.
    static func key(_ image: RGBImage, imageCount: Int) -> String {
        let hasher = SHA256()
        hasher.update(Array("pdrop.image-tokens.v1".utf8))
        hasher.update(littleEndian: UInt64(imageCount))
        hasher.update(littleEndian: UInt64(image.width))
        hasher.update(littleEndian: UInt64(image.height))
        image.pixels.withUnsafeBytes { hasher.update($0) }
        return hasher.finalizeHex()
    }

    /// The bytes an entry's tensors hold.
    static func bytes(of tokens: ImageTokens) -> Int {
        func size(_ tensor: Tensor?) -> Int { tensor.map { $0.shape.reduce(1, *) * MemoryLayout<Float>.size } ?? 0 }
        return size(tokens.features) + tokens.crops.reduce(0) { $0 + size($1.hidden) + size($1.classAttention) + size($1.keys) }
    }

    private func touch(_ key: String) {
        if let index = order.firstIndex(of: key) { order.remove(at: index) }
        order.append(key)
    }

    private func insert(_ entry: Entry, for key: String) {
        if let old = entries.removeValue(forKey: key) {
            stats.bytes -= old.bytes
            order.removeAll { $0 == key }
        }
        guard entry.bytes <= capacityBytes else { stats.entries = entries.count; return }
        while stats.bytes + entry.bytes > capacityBytes, let oldest = order.first {
            order.removeFirst()
            stats.bytes -= entries.removeValue(forKey: oldest)?.bytes ?? 0
            stats.evictions += 1
        }
        entries[key] = entry
        order.append(key)
        stats.bytes += entry.bytes
        stats.entries = entries.count
    }
}
