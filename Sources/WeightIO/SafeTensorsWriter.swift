import Tensors

/// Writes safetensors files: `__metadata__` always carries `"format": "pt"` (transformers refuses
/// files without it), the header is space-padded to a multiple of 8 bytes, and the file is
/// written to a temporary path beside the target and renamed only when complete.
public enum SafeTensorsWriter {
    /// What one tensor of a file will be: its name, dtype and shape.
    public typealias Plan = TensorInfo

    /// Writes `tensors` (in the given order) to `path`.
    public static func write(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:], to path: String) throws {
        let plans = tensors.map { Plan(name: $0.name, dtype: $0.tensor.dtype, shape: $0.tensor.shape) }
        try write(plans, metadata: metadata, to: path) { tensors[$0].tensor }
    }

    /// Streams a file whose layout is given up front by `plans`: `produce(i)` is called once per
    /// tensor, in order, so only one tensor needs to be in memory at a time. A produced tensor
    /// whose dtype or shape differs from its plan is an error (and nothing is written at `path`).
    public static func write(_ plans: [Plan], metadata: [String: String] = [:], to path: String,
                             produce: (Int) throws -> Tensor) throws {
        try AtomicFile.write(to: path) { file in
            try file.write(header(plans, metadata: metadata))
            for (i, plan) in plans.enumerated() {
                let tensor = try produce(i)
                guard tensor.dtype == plan.dtype, tensor.shape == plan.shape else {
                    throw WeightIOError.writeFailed(path: path, reason: "tensor '\(plan.name)' is \(tensor.dtype.rawValue) \(tensor.shape), planned \(plan.dtype.rawValue) \(plan.shape)")
                }
                try file.write(tensor.rawBytes)
            }
        }
    }

    /// The 8-byte length prefix and the padded JSON header for `plans`.
    public static func header(_ plans: [Plan], metadata: [String: String]) throws -> [UInt8] {
        var members: [String: JSON] = [:]
        var meta = metadata.mapValues { JSON.string($0) }
        meta["format"] = meta["format"] ?? .string("pt")
        members["__metadata__"] = .object(meta)
        var offset = 0
        for plan in plans {
            guard members[plan.name] == nil else {
                throw WeightIOError.writeFailed(path: plan.name, reason: "tensor name appears twice")
            }
            members[plan.name] = .object([
                "dtype": .string(plan.dtype.rawValue),
                "shape": .array(plan.shape.map { .int($0) }),
                "data_offsets": .array([.int(offset), .int(offset + plan.byteCount)]),
            ])
            offset += plan.byteCount
        }
        var json = Array(JSON.object(members).serialized().utf8)
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var out: [UInt8] = []
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        return out + json
    }
}
