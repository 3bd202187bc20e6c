import ArgumentParser
import PyramidDrop
import Transformer

/// `--kv-cache`: how each layer's keys and values are stored.
enum KVCacheFormat: String, ExpressibleByArgument, CaseIterable {
    /// f32 rows (exact).
    case f32
    /// bfloat16 rows: half the KV memory and half the cache bytes a decode step reads.
    case bf16

    /// Bytes of one stored key or value element.
    var elementBytes: Int {
        switch self {
        case .f32: return 4
        case .bf16: return 2
        }
    }

    /// A new, empty store of this format.
    func makeStore() -> any KVStore {
        switch self {
        case .f32: return F32KVStore()
        case .bf16: return BF16KVStore()
        }
    }
}
