import Testing
import Tensors
@testable import WeightIO

/// The restricted unpickler on hand-made pickles: what it accepts, and the error for each thing
/// it refuses.
@Suite struct TorchPickleTests {
    // MARK: Pickle building blocks

    static func text(_ s: String) -> [UInt8] {
        let utf8 = Array(s.utf8)
        return [UInt8(ascii: "X")] + withUnsafeBytes(of: UInt32(utf8.count).littleEndian, Array.init) + utf8
    }
    static func global(_ module: String, _ name: String) -> [UInt8] { [UInt8(ascii: "c")] + Array("\(module)\n\(name)\n".utf8) }
    static func ints(_ values: [Int]) -> [UInt8] {
        [UInt8(ascii: "(")] + values.flatMap { [UInt8(ascii: "K"), UInt8($0)] } + [UInt8(ascii: "t")]
    }
    static let emptyHooks = global("collections", "OrderedDict") + [UInt8(ascii: ")"), UInt8(ascii: "R")]

    /// `_rebuild_tensor_v2` of storage `key` (FloatStorage of `numel`) with the given geometry.
    static func tensor(key: String = "0", numel: Int = 6, offset: Int = 0, size: [Int] = [2, 3], stride: [Int] = [3, 1],
                       hooks: [UInt8] = emptyHooks) -> [UInt8] {
        global("torch._utils", "_rebuild_tensor_v2") + [UInt8(ascii: "("), UInt8(ascii: "(")] + text("storage")
            + global("torch", "FloatStorage") + text(key) + text("cpu") + [UInt8(ascii: "K"), UInt8(numel), UInt8(ascii: "t"), UInt8(ascii: "Q")]
            + [UInt8(ascii: "K"), UInt8(offset)] + ints(size) + ints(stride) + [0x89] + hooks + [UInt8(ascii: "t"), UInt8(ascii: "R")]
    }

    /// `{name: value, …}` as PROTO 2, EMPTY_DICT, MARK, …, SETITEMS, STOP.
    static func stateDict(_ items: [(String, [UInt8])]) -> [UInt8] {
        [0x80, 2, UInt8(ascii: "}"), UInt8(ascii: "(")] + items.flatMap { text($0.0) + $0.1 } + [UInt8(ascii: "u"), UInt8(ascii: ".")]
    }

    static func load(_ pickle: [UInt8]) throws -> [(name: String, tensor: TorchTensorArguments)] {
        try pickle.withUnsafeBytes { try TorchPickle.stateDict($0, path: "p.bin") }
    }

    static func problem(_ pickle: [UInt8]) -> TorchProblem? {
        do {
            _ = try load(pickle)
            return nil
        } catch WeightIOError.torch(_, let problem) {
            return problem
        } catch {
            return nil
        }
    }

    static let storage0 = TorchStorageRef(dtype: .f32, key: "0", location: "cpu", elementCount: 6)

    // MARK: Accepted

    @Test func readsAStateDict() throws {
        let result = try Self.load(Self.stateDict([("a", Self.tensor()), ("b", Self.tensor(offset: 2, size: [2], stride: [2]))]))
        #expect(result.map(\.name) == ["a", "b"])
        #expect(result[0].tensor == TorchTensorArguments(storage: Self.storage0, offset: 0, shape: [2, 3], strides: [3, 1]))
        #expect(result[1].tensor == TorchTensorArguments(storage: Self.storage0, offset: 2, shape: [2], strides: [2]))
    }

    /// Protocol-4 opcodes, memo puts and gets of every width, integers of every width, and
    /// `_rebuild_parameter`.
    @Test func protocolFourAndMemo() throws {
        var pickle: [UInt8] = [0x80, 4, 0x95] + [UInt8](repeating: 0, count: 8)        // PROTO 4, FRAME
        pickle += [0x7D, 0x94]                                                          // EMPTY_DICT, MEMOIZE (0)
        pickle += [0x8D] + withUnsafeBytes(of: UInt64(4).littleEndian, Array.init) + Array("long".utf8)  // BINUNICODE8
        pickle += [0x8C, 12] + Array("torch._utils".utf8) + [0x8C, 18] + Array("_rebuild_parameter".utf8) + [0x93]  // STACK_GLOBAL
        pickle += [UInt8(ascii: "r")] + withUnsafeBytes(of: UInt32(70_000).littleEndian, Array.init)  // LONG_BINPUT
        pickle += [UInt8(ascii: "j")] + withUnsafeBytes(of: UInt32(70_000).littleEndian, Array.init)  // LONG_BINGET
        pickle += [UInt8(ascii: "0")]                                                   // POP the duplicate
        pickle += [UInt8(ascii: "(")] + Self.tensor(numel: 6, size: [6], stride: [1]) + [0x88] + Self.emptyHooks + [UInt8(ascii: "t"), UInt8(ascii: "R")]
        pickle += [UInt8(ascii: "s"), UInt8(ascii: ".")]
        let result = try Self.load(pickle)
        #expect(result.map(\.name) == ["long"])
        #expect(result[0].tensor.shape == [6])

        // BININT2, BININT (negative is refused later, by the geometry check), LONG1 of 5 bytes.
        let wide = Self.stateDict([("w", Self.global("torch._utils", "_rebuild_tensor_v2") + [UInt8(ascii: "("), UInt8(ascii: "(")]
            + Self.text("storage") + Self.global("torch", "BFloat16Storage") + Self.text("k") + Self.text("cuda:0")
            + [0x8A, 5, 0, 0, 0, 0, 1, UInt8(ascii: "t"), UInt8(ascii: "Q")]           // numel 2^32 (LONG1)
            + [UInt8(ascii: "M"), 0x10, 0x27]                                            // offset 10000 (BININT2)
            + [UInt8(ascii: "J"), 0xFF, 0xFF, 0xFF, 0xFF, 0x85]                          // size (-1,) (BININT)
            + [UInt8(ascii: "K"), 1, 0x85, 0x89] + Self.emptyHooks + [UInt8(ascii: "t"), UInt8(ascii: "R")])])
        let args = try Self.load(wide)[0].tensor
        #expect(args.storage == TorchStorageRef(dtype: .bf16, key: "k", location: "cuda:0", elementCount: 1 << 32))
        #expect(args.offset == 10_000 && args.shape == [-1])
        #expect(throws: TorchTensorSpec.SpecError("negative offset 10000, size [-1] or stride [1]")) { try TorchTensorSpec(args) }
    }

    // MARK: Refused globals

    @Test(arguments: [("os", "system"), ("posix", "system"), ("builtins", "eval"), ("builtins", "exec"), ("builtins", "getattr"),
                      ("subprocess", "Popen"), ("torch", "load"), ("torch", "Tensor"), ("torch._utils", "_rebuild_tensor_v3"),
                      ("torch", "ComplexFloatStorage"), ("collections", "defaultdict"), ("__builtin__", "eval")])
    func disallowedGlobalsAreRefusedByName(_ module: String, _ name: String) {
        // As GLOBAL …
        let viaGlobal: [UInt8] = [0x80, 2] + Self.global(module, name) + Self.text("id") + [0x85, UInt8(ascii: "R"), UInt8(ascii: ".")]
        #expect(Self.problem(viaGlobal) == .disallowedGlobal("\(module).\(name)"))
        // … and as STACK_GLOBAL, deep inside a state dict.
        let viaStack = Self.stateDict([("w", Self.tensor(hooks: Self.text(module) + Self.text(name) + [0x93, UInt8(ascii: ")"), UInt8(ascii: "R")]))])
        #expect(Self.problem(viaStack) == .disallowedGlobal("\(module).\(name)"))
    }

    // MARK: Malformed

    @Test func malformedPickles() {
        func malformed(_ offset: Int, _ detail: String) -> TorchProblem { .malformedPickle(offset: offset, detail: detail) }
        #expect(Self.problem([0x80, 2, UInt8(ascii: ".")]) == malformed(2, "stack underflow"))
        #expect(Self.problem([0x80, 2, UInt8(ascii: "X"), 0xFF, 0, 0, 0, 0x61]) == malformed(2, "truncated: a string of 255 bytes with 1 left"))
        #expect(Self.problem([0x80, 2, UInt8(ascii: "}")]) == malformed(3, "truncated: needs 1 more bytes, 0 left"))
        #expect(Self.problem([0x80, 2, UInt8(ascii: "c")] + Array("os".utf8)) == malformed(2, "truncated: GLOBAL without a newline"))
        #expect(Self.problem([0x80, 9]) == malformed(0, "unknown protocol 9"))
        #expect(Self.problem([0x80, 2, UInt8(ascii: "h"), 7]) == malformed(2, "memo entry 7 is not set"))
        #expect(Self.problem([0x80, 2, UInt8(ascii: "t")]) == malformed(2, "no MARK"))
        #expect(Self.problem([0x80, 2, 0x8A, 9] + [UInt8](repeating: 1, count: 9)) == malformed(2, "integer of 9 bytes is too large"))
        #expect(Self.problem([0x80, 2, UInt8(ascii: "X"), 2, 0, 0, 0, 0xC3, 0x28, UInt8(ascii: ".")]) == malformed(2, "string is not valid UTF-8"))
        #expect(Self.problem([0x80, 2, UInt8(ascii: "N"), UInt8(ascii: "N"), UInt8(ascii: "N"), UInt8(ascii: "s")]) == malformed(5, "SETITEM on None"))
        #expect(Self.problem([0x80, 2, UInt8(ascii: "N"), UInt8(ascii: ")"), UInt8(ascii: "R")]) == malformed(4, "REDUCE of None with a 0-tuple"))
        #expect(Self.problem(Self.stateDict([("a", Self.tensor()), ("a", Self.tensor())])) == malformed(274, "duplicate dictionary key string(\"a\")"))
        // A tensor with backward hooks: the hooks dict is not empty.
        let hooks = Self.global("collections", "OrderedDict") + [UInt8(ascii: ")"), UInt8(ascii: "R"), UInt8(ascii: "K"), 1, UInt8(ascii: "N"), UInt8(ascii: "s")]
        #expect(Self.problem(Self.stateDict([("a", Self.tensor(hooks: hooks))])) == malformed(142, "tensor backward hooks are not supported"))
        // A persistent id that is not a storage tuple.
        #expect(Self.problem([0x80, 2] + Self.text("file") + [UInt8(ascii: "Q")]) == malformed(11, "persistent id is not ('storage', storage type, key, location, numel)"))
    }

    @Test func unsupportedOpcodes() {
        // INST (protocol 0 object construction), OBJ, NEWOBJ, BINBYTES, EXT1.
        for opcode: UInt8 in [UInt8(ascii: "i"), UInt8(ascii: "o"), 0x81, UInt8(ascii: "B"), 0x82] {
            #expect(Self.problem([0x80, 2, opcode, 0, 0, 0, 0]) == .unsupportedOpcode(opcode: opcode, offset: 2))
        }
    }

    @Test func notAStateDict() {
        #expect(Self.problem([0x80, 2, UInt8(ascii: "]"), UInt8(ascii: ".")]) == .notAStateDict(found: "a list"))
        #expect(Self.problem(Self.stateDict([("a", [UInt8(ascii: "K"), 1])])) == .notATensor(key: "a", found: "an int"))
        #expect(Self.problem([0x80, 2, UInt8(ascii: "}"), UInt8(ascii: "K"), 5] + Self.tensor() + [UInt8(ascii: "s"), UInt8(ascii: ".")])
            == .notATensor(key: "5", found: "keyed by an int"))
        #expect(Self.problem(Self.stateDict([("f", [UInt8(ascii: "G")] + withUnsafeBytes(of: (1.5).bitPattern.bigEndian, Array.init))]))
            == .notATensor(key: "f", found: "a float"))
        // A list that contains itself (a cycle) is fine to build and then refused.
        #expect(Self.problem([0x80, 2, UInt8(ascii: "]"), UInt8(ascii: "q"), 0, UInt8(ascii: "h"), 0, UInt8(ascii: "a"), UInt8(ascii: ".")])
            == .notAStateDict(found: "a list"))
    }

    // MARK: Nesting

    /// Tuples nest at most 64 deep; lists nested 100 000 deep are torn down without recursion.
    @Test func deepNesting() {
        let tuples: [UInt8] = [0x80, 2, UInt8(ascii: "N")] + [UInt8](repeating: 0x85, count: 100) + [UInt8(ascii: ".")]
        #expect(Self.problem(tuples) == .malformedPickle(offset: 67, detail: "tuples nested more than 64 deep"))
        // Push L0; then repeatedly: new list, memo it, append it to the previous one, pop, get it back.
        let step: [UInt8] = [UInt8(ascii: "]"), UInt8(ascii: "q"), 1, UInt8(ascii: "a"), UInt8(ascii: "0"), UInt8(ascii: "h"), 1]
        let lists: [UInt8] = [0x80, 2, UInt8(ascii: "]")] + Array([[UInt8]](repeating: step, count: 100_000).joined()) + [UInt8(ascii: ".")]
        #expect(Self.problem(lists) == .notAStateDict(found: "a list"))
    }

    // MARK: Tensor geometry

    @Test func geometryChecks() throws {
        let storage = TorchStorageRef(dtype: .f16, key: "0", location: "cpu", elementCount: 6)
        func spec(_ offset: Int, _ shape: [Int], _ strides: [Int]) throws(TorchTensorSpec.SpecError) -> TorchTensorSpec {
            try TorchTensorSpec(TorchTensorArguments(storage: storage, offset: offset, shape: shape, strides: strides))
        }
        #expect(try spec(0, [2, 3], [3, 1]).isContiguous)
        #expect(try spec(5, [], []).count == 1)
        #expect(try spec(2, [2, 1], [1, 99]).isContiguous)    // the stride of a size-1 dimension does not matter
        #expect(try !spec(0, [3, 2], [1, 3]).isContiguous)
        #expect(try spec(9, [0, 4], [4, 1]).count == 0)       // empty: no element to reach
        #expect(throws: TorchTensorSpec.SpecError("offset 1, size [2, 3], stride [3, 1] reach element 6 of a storage of 6")) { try spec(1, [2, 3], [3, 1]) }
        #expect(throws: TorchTensorSpec.SpecError("offset 6, size [], stride [] reach element 6 of a storage of 6")) { try spec(6, [], []) }
        #expect(throws: TorchTensorSpec.SpecError("size [2] and stride [] differ in length")) { try spec(0, [2], []) }
        #expect(throws: TorchTensorSpec.SpecError("size [4611686018427387904, 4] overflows")) { try spec(0, [1 << 62, 4], [1, 1]) }
        #expect(throws: TorchTensorSpec.SpecError("offset 0, size [2, 2], stride [4611686018427387904, 4611686018427387904] overflow")) {
            try spec(0, [2, 2], [1 << 62, 1 << 62])
        }
        #expect(throws: TorchTensorSpec.SpecError("size [2305843009213693952, 2] overflows the byte count")) { try spec(0, [1 << 61, 2], [0, 0]) }
        // Expanded (stride 0) tensors are copied out, up to 2^24 elements.
        #expect(try spec(0, [1 << 12, 1 << 12], [0, 0]).count == 1 << 24)
        #expect(throws: TorchTensorSpec.SpecError("size [4097, 4096] with stride [0, 1] repeats elements: 16781312 from a storage of 4096 (at most 16777216 are expanded)")) {
            try TorchTensorSpec(TorchTensorArguments(storage: TorchStorageRef(dtype: .f16, key: "0", location: "cpu", elementCount: 4096),
                                                     offset: 0, shape: [4097, 4096], strides: [0, 1]))
        }
    }
}
