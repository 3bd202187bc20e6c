/// The per-layer KV stores of one sequence, plus what decode steps need to place new tokens.
public struct SequenceCaches: Sendable {
    /// One store per layer; after drops, later layers hold fewer tokens.
    public var layers: [any KVStore]
    /// Position of the next token in `.original` mode (last prompt position + 1 + steps so far).
    public internal(set) var nextOriginalPosition = 0
    /// Index of the next token in the whole sequence (prompt + generated).
    public internal(set) var nextTokenIndex = 0

    /// Empty stores made by `makeStore`, one per layer.
    public init(layerCount: Int, makeStore: () -> any KVStore = { F32KVStore() }) {
        layers = (0..<layerCount).map { _ in makeStore() }
    }
}
