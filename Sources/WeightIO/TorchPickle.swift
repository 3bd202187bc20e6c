/// A restricted unpickler for PyTorch state dicts (the `data.pkl` record of a `torch.save`
/// archive). It implements the opcodes `torch.save` emits (protocol 2, and protocol 4's framing,
/// short strings, MEMOIZE and STACK_GLOBAL) and recognises only the globals of `TorchGlobal`:
/// any other global is refused by name as soon as it is read. Nothing is ever imported or called;
/// `REDUCE` of an allowed global builds a plain value (an ordered dictionary, a tensor
/// description). Every read is bounds-checked, so malformed input is an error, never a crash.
struct TorchPickle {
    /// The state dict in `bytes`: (name, tensor) pairs in saved order. `path` names the file in errors.
    static func stateDict(_ bytes: UnsafeRawBufferPointer, path: String) throws -> [(name: String, tensor: TorchTensorArguments)] {
        var machine = TorchPickle(bytes: bytes, path: path)
        defer { machine.breakCycles() }
        let value = try machine.run()
        guard case .dict(let dict) = value else {
            throw WeightIOError.torch(path: path, problem: .notAStateDict(found: value.kindName))
        }
        return try dict.keys.map { key in
            let name: String
            switch key {
            case .string(let string): name = string
            case .int(let number):
                throw WeightIOError.torch(path: path, problem: .notATensor(key: String(number), found: "keyed by an int"))
            }
            guard case .tensor(let tensor) = dict.values[key]! else {
                throw WeightIOError.torch(path: path, problem: .notATensor(key: name, found: dict.values[key]!.kindName))
            }
            return (name, tensor)
        }
    }

    private let bytes: UnsafeRawBufferPointer
    private let path: String
    private var position = 0
    /// Where the opcode being executed starts (for messages).
    private var opcodeOffset = 0
    private var stack: [PickleValue] = []
    /// Stacks saved by MARK (as Python's unpickler keeps them).
    private var metastack: [[PickleValue]] = []
    private var memo: [Int: PickleValue] = [:]
    private var containers: [AnyObject] = []

    private init(bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }

    /// Empties every list and dictionary created (all still held here), so that cycles a crafted
    /// pickle built are freed and nested containers are released one level at a time.
    private func breakCycles() {
        for container in containers {
            (container as? PickleDict)?.removeAll()
            (container as? PickleList)?.items = []
        }
    }

    // MARK: - Opcodes

    private enum Op {
        static let proto: UInt8 = 0x80, frame: UInt8 = 0x95, stop = UInt8(ascii: ".")
        static let mark = UInt8(ascii: "("), pop = UInt8(ascii: "0"), popMark = UInt8(ascii: "1"), dup = UInt8(ascii: "2")
        static let none = UInt8(ascii: "N"), newTrue: UInt8 = 0x88, newFalse: UInt8 = 0x89
        static let binInt = UInt8(ascii: "J"), binInt1 = UInt8(ascii: "K"), binInt2 = UInt8(ascii: "M")
        static let long1: UInt8 = 0x8A, long4: UInt8 = 0x8B, binFloat = UInt8(ascii: "G")
        static let binUnicode = UInt8(ascii: "X"), shortBinUnicode: UInt8 = 0x8C, binUnicode8: UInt8 = 0x8D
        static let emptyTuple = UInt8(ascii: ")"), tuple = UInt8(ascii: "t"), tuple1: UInt8 = 0x85, tuple2: UInt8 = 0x86, tuple3: UInt8 = 0x87
        static let emptyList = UInt8(ascii: "]"), append = UInt8(ascii: "a"), appends = UInt8(ascii: "e")
        static let emptyDict = UInt8(ascii: "}"), setItem = UInt8(ascii: "s"), setItems = UInt8(ascii: "u")
        static let binPut = UInt8(ascii: "q"), longBinPut = UInt8(ascii: "r"), memoize: UInt8 = 0x94
        static let binGet = UInt8(ascii: "h"), longBinGet = UInt8(ascii: "j")
        static let global = UInt8(ascii: "c"), stackGlobal: UInt8 = 0x93
        static let reduce = UInt8(ascii: "R"), build = UInt8(ascii: "b"), binPersId = UInt8(ascii: "Q")
    }

    private mutating func run() throws -> PickleValue {
        while true {
            opcodeOffset = position
            let op = try take(1)[0]
            switch op {
            case Op.proto:
                let version = try take(1)[0]
                guard version <= 5 else { throw malformed("unknown protocol \(version)") }
            case Op.frame: _ = try take(8)  // a frame's contents follow inline
            case Op.stop: return try pop()
            case Op.mark:
                metastack.append(stack)
                stack = []
            case Op.pop:
                if stack.isEmpty { _ = try popMark() } else { stack.removeLast() }
            case Op.popMark: _ = try popMark()
            case Op.dup:
                let value = try top()
                stack.append(value)
            case Op.none: stack.append(.none)
            case Op.newTrue: stack.append(.bool(true))
            case Op.newFalse: stack.append(.bool(false))
            case Op.binInt: stack.append(.int(Int(Int32(bitPattern: UInt32(try unsigned(4))))))
            case Op.binInt1: stack.append(.int(Int(try unsigned(1))))
            case Op.binInt2: stack.append(.int(Int(try unsigned(2))))
            case Op.long1: stack.append(.int(try long(byteCount: Int(try unsigned(1)))))
            case Op.long4: stack.append(.int(try long(byteCount: Int(Int32(bitPattern: UInt32(try unsigned(4)))))))
            case Op.binFloat: stack.append(.float(Double(bitPattern: UInt64(bigEndian: try take(8).loadUnaligned(as: UInt64.self)))))
            case Op.binUnicode: stack.append(.string(try string(byteCount: try unsigned(4))))
            case Op.shortBinUnicode: stack.append(.string(try string(byteCount: try unsigned(1))))
            case Op.binUnicode8: stack.append(.string(try string(byteCount: try unsigned(8))))
            case Op.emptyTuple: stack.append(.tuple([]))
            case Op.tuple:
                let items = try popMark()
                stack.append(try tuple(items))
            case Op.tuple1, Op.tuple2, Op.tuple3:
                let items = try pop(Int(op - Op.tuple1) + 1)
                stack.append(try tuple(items))
            case Op.emptyList:
                let list = PickleList()
                containers.append(list)
                stack.append(.list(list))
            case Op.append:
                let item = try pop()
                try list().items.append(item)
            case Op.appends:
                let items = try popMark()
                try list().items.append(contentsOf: items)
            case Op.emptyDict:
                let dict = newDict()
                stack.append(.dict(dict))
            case Op.setItem:
                let value = try pop(), key = try pop()
                try setItems([key, value])
            case Op.setItems:
                // (bound first: a method call on self captures the stack before its arguments run)
                let items = try popMark()
                try setItems(items)
            case Op.binPut, Op.longBinPut, Op.memoize:
                let key = op == Op.memoize ? memo.count : Int(try unsigned(op == Op.binPut ? 1 : 4))
                memo[key] = try top()
            case Op.binGet, Op.longBinGet:
                let value = try memoized(Int(try unsigned(op == Op.binGet ? 1 : 4)))
                stack.append(value)
            case Op.global:
                let module = try line(), name = try line()
                stack.append(.global(try global(module, name)))
            case Op.stackGlobal:
                guard case .string(let name) = try pop(), case .string(let module) = try pop() else {
                    throw malformed("STACK_GLOBAL needs two strings")
                }
                stack.append(.global(try global(module, name)))
            case Op.reduce:
                let arguments = try pop(), callable = try pop()
                guard case .global(let function) = callable, case .tuple(let items, _) = arguments else {
                    throw malformed("REDUCE of \(callable.kindName) with \(arguments.kindName)")
                }
                let result = try call(function, items)
                stack.append(result)
            case Op.build:
                let state = try pop()
                let target = try top()
                // Only an OrderedDict's attributes (a module state dict's `_metadata`) are expected; they are ignored.
                guard case .dict = target else { throw malformed("BUILD of \(target.kindName) is not supported") }
                switch state {
                case .dict, .none: break
                default: throw malformed("BUILD of a dict with \(state.kindName) state")
                }
            case Op.binPersId:
                let id = try pop()
                stack.append(.storage(try storage(id)))
            default:
                throw WeightIOError.torch(path: path, problem: .unsupportedOpcode(opcode: op, offset: opcodeOffset))
            }
        }
    }

    // MARK: - Reading

    private func malformed(_ detail: String) -> WeightIOError {
        .torch(path: path, problem: .malformedPickle(offset: opcodeOffset, detail: detail))
    }

    private mutating func take(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, bytes.count - position >= count else {
            throw malformed("truncated: needs \(count) more bytes, \(bytes.count - position) left")
        }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
    }

    /// A little-endian unsigned integer of `width` bytes.
    private mutating func unsigned(_ width: Int) throws -> UInt64 {
        let raw = try take(width)
        return raw.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// A little-endian two's-complement integer of `byteCount` bytes (LONG1/LONG4), up to 64 bits.
    private mutating func long(byteCount: Int) throws -> Int {
        guard byteCount <= 8 else {
            throw malformed(byteCount < 0 ? "negative integer length" : "integer of \(byteCount) bytes is too large")
        }
        if byteCount == 0 { return 0 }
        let shift = UInt64(64 - 8 * byteCount)
        return Int(Int64(bitPattern: try unsigned(byteCount) << shift) >> shift)
    }

    private mutating func string(byteCount: UInt64) throws -> String {
        guard byteCount <= UInt64(bytes.count - position) else {
            throw malformed("truncated: a string of \(byteCount) bytes with \(bytes.count - position) left")
        }
        guard let text = String(validating: try take(Int(byteCount)), as: UTF8.self) else {
            throw malformed("string is not valid UTF-8")
        }
        return text
    }

    /// A newline-terminated line (GLOBAL's module and name).
    private mutating func line() throws -> String {
        let rest = UnsafeRawBufferPointer(rebasing: bytes[position...])
        guard let newline = rest.firstIndex(of: 0x0A) else { throw malformed("truncated: GLOBAL without a newline") }
        let text = try take(newline)
        position += 1
        return String(decoding: text, as: UTF8.self)
    }

    // MARK: - Stack and memo

    private mutating func pop() throws -> PickleValue {
        guard let value = stack.popLast() else { throw malformed("stack underflow") }
        return value
    }

    private mutating func pop(_ count: Int) throws -> [PickleValue] {
        guard stack.count >= count else { throw malformed("stack underflow") }
        defer { stack.removeLast(count) }
        return Array(stack.suffix(count))
    }

    private func top() throws -> PickleValue {
        guard let value = stack.last else { throw malformed("stack underflow") }
        return value
    }

    /// The items pushed since the last MARK (which is removed).
    private mutating func popMark() throws -> [PickleValue] {
        guard let saved = metastack.popLast() else { throw malformed("no MARK") }
        defer { stack = saved }
        return stack
    }

    private func memoized(_ key: Int) throws -> PickleValue {
        guard let value = memo[key] else { throw malformed("memo entry \(key) is not set") }
        return value
    }

    /// Deepest nesting of tuples accepted (a state dict needs 3).
    static let maxTupleDepth = 64

    private func tuple(_ items: [PickleValue]) throws -> PickleValue {
        let value = PickleValue.tuple(items)
        guard case .tuple(_, let depth) = value, depth <= Self.maxTupleDepth else {
            throw malformed("tuples nested more than \(Self.maxTupleDepth) deep")
        }
        return value
    }

    // MARK: - Containers

    private mutating func newDict() -> PickleDict {
        let dict = PickleDict()
        containers.append(dict)
        return dict
    }

    private func list() throws -> PickleList {
        guard case .list(let list) = try top() else { throw malformed("APPEND to \(try top().kindName)") }
        return list
    }

    private func setItems(_ items: [PickleValue]) throws {
        guard case .dict(let dict) = try top() else { throw malformed("SETITEM on \(try top().kindName)") }
        guard items.count % 2 == 0 else { throw malformed("SETITEMS with an odd number of items") }
        for i in stride(from: 0, to: items.count, by: 2) {
            let key: PickleKey
            switch items[i] {
            case .string(let s): key = .string(s)
            case .int(let n): key = .int(n)
            default: throw malformed("dictionary key is \(items[i].kindName)")
            }
            // Python would keep the last value; a name saved twice is refused as ambiguous.
            guard !dict.contains(key) else { throw malformed("duplicate dictionary key \(key)") }
            dict.set(key, items[i + 1])
        }
    }

    // MARK: - Globals, calls, persistent ids

    private func global(_ module: String, _ name: String) throws -> TorchGlobal {
        guard let global = TorchGlobal(module: module, name: name) else {
            throw WeightIOError.torch(path: path, problem: .disallowedGlobal("\(module).\(name)"))
        }
        return global
    }

    private mutating func call(_ function: TorchGlobal, _ arguments: [PickleValue]) throws -> PickleValue {
        func isEmptyDict(_ value: PickleValue) -> Bool {
            if case .dict(let dict) = value { return dict.keys.isEmpty }
            return false
        }
        switch function {
        case .orderedDict:
            guard arguments.isEmpty else { throw malformed("OrderedDict called with \(arguments.count) arguments") }
            return .dict(newDict())
        case .rebuildTensorV2:
            // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
            guard arguments.count == 6 || arguments.count == 7 else {
                throw malformed("_rebuild_tensor_v2 called with \(arguments.count) arguments")
            }
            guard case .storage(let storage) = arguments[0], case .int(let offset) = arguments[1],
                  let shape = Self.integers(arguments[2]), let strides = Self.integers(arguments[3]),
                  case .bool = arguments[4] else {
                throw malformed("_rebuild_tensor_v2 arguments are (\(arguments.map(\.kindName).joined(separator: ", "))), expected (storage, int, tuple of ints, tuple of ints, bool, OrderedDict)")
            }
            guard isEmptyDict(arguments[5]) else { throw malformed("tensor backward hooks are not supported") }
            guard arguments.count == 6 || isEmptyDict(arguments[6]) else { throw malformed("tensor metadata is not supported") }
            return .tensor(TorchTensorArguments(storage: storage, offset: offset, shape: shape, strides: strides))
        case .rebuildParameter:
            // (data, requires_grad, backward_hooks)
            guard arguments.count == 3, case .tensor = arguments[0], case .bool = arguments[1], isEmptyDict(arguments[2]) else {
                throw malformed("_rebuild_parameter arguments are (\(arguments.map(\.kindName).joined(separator: ", "))), expected (tensor, bool, empty OrderedDict)")
            }
            return arguments[0]
        case .storageType(let dtype):
            throw malformed("storage class of \(dtype.rawValue) called")
        }
    }

    private static func integers(_ value: PickleValue) -> [Int]? {
        guard case .tuple(let items, _) = value else { return nil }
        var result: [Int] = []
        for item in items {
            guard case .int(let n) = item else { return nil }
            result.append(n)
        }
        return result
    }

    /// Resolves `('storage', storage_type, key, location, numel)`.
    private func storage(_ id: PickleValue) throws -> TorchStorageRef {
        guard case .tuple(let items, _) = id, items.count == 5, case .string("storage") = items[0],
              case .global(.storageType(let dtype)) = items[1], case .string(let key) = items[2],
              case .string(let location) = items[3], case .int(let count) = items[4], count >= 0 else {
            throw malformed("persistent id is not ('storage', storage type, key, location, numel)")
        }
        return TorchStorageRef(dtype: dtype, key: key, location: location, elementCount: count)
    }
}
