import CStreamRead
import Foundation
import Tensors

/// The decode yardstick: memory read as fast as this machine streams it, one thread per core (as
/// many as `Threads.count`), each summing its share of a buffer of floats at least 8× the
/// last-level cache (512 MB at least), so every pass comes from DRAM.
final class StreamingRead {
    let bytes: Int
    let threads: Int
    private let buffer: UnsafeMutableRawPointer
    /// The last pass's sum (kept so that no pass can be optimised away).
    private(set) var lastSum: Float = 0

    init(threads: Int = Threads.count) {
        bytes = max(512 << 20, 8 * Self.lastLevelCacheBytes())
        self.threads = max(1, threads)
        buffer = BufferPool.systemBuffer(byteCount: bytes)   // huge pages where the weights have them
        memset(buffer, 0x3C, bytes)   // every float ≈ 0.0115; touches every page before any timing
    }

    deinit { buffer.deallocate() }

    /// Bytes per second of one pass over the buffer.
    func measureGBps() -> Double {
        let floats = bytes / 4, threads = self.threads
        let base = buffer.assumingMemoryBound(to: Float.self)
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: threads)
        defer { sums.deallocate() }
        let start = DispatchTime.now().uptimeNanoseconds
        Parallel.forEach(threads) { part in
            // Chunks on 64-byte boundaries (16 floats).
            let begin = floats / 16 * part / threads * 16, end = part == threads - 1 ? floats : floats / 16 * (part + 1) / threads * 16
            sums[part] = pd_stream_sum(base + begin, end - begin)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        lastSum = (0..<threads).reduce(0) { $0 + sums[$1] }
        return Double(bytes) / seconds / 1e9
    }

    /// The last-level cache's size (sysfs; 32 MB where it cannot be read).
    static func lastLevelCacheBytes() -> Int {
        let folder = "/sys/devices/system/cpu/cpu0/cache"
        let indices = (try? FileManager.default.contentsOfDirectory(atPath: folder))?.filter { $0.hasPrefix("index") } ?? []
        let sizes = indices.compactMap { index -> Int? in
            guard let data = FileManager.default.contents(atPath: "\(folder)/\(index)/size") else { return nil }
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let scale = text.hasSuffix("K") ? 1 << 10 : text.hasSuffix("M") ? 1 << 20 : 1
            return Int(text.trimmingCharacters(in: .letters)).map { $0 * scale }
        }
        return sizes.max() ?? 32 << 20
    }
}
