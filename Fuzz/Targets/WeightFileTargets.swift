import Tensors
import WeightIO

/// The weight-file readers under fuzzing (each through a file, as users open them).
enum WeightFileTargets {
    static func gguf(_ bytes: UnsafeRawBufferPointer) {
        FuzzInput.withFile(bytes, suffix: ".gguf") { path in
            let file = try GGUFFile(path: path)
            var sink = 0
            for (key, value) in file.metadata { sink &+= key.utf8.count &+ "\(value)".utf8.count }
            for tensor in file.tensors { sink &+= Int(file.bytes(of: tensor).last ?? 0) }
            precondition(sink != Int.min)
        }
    }

    static func safetensors(_ bytes: UnsafeRawBufferPointer) {
        FuzzInput.withFile(bytes, suffix: ".safetensors") { path in
            let file = try SafeTensorsFile(path: path)
            try readEvery(file.names, of: file)
        }
    }

    static func torch(_ bytes: UnsafeRawBufferPointer) {
        FuzzInput.withFile(bytes, suffix: ".bin") { path in
            let checkpoint = try TorchCheckpoint(path: path)
            try readEvery(checkpoint.names, of: checkpoint)
        }
    }

    /// Every tensor of `source`, converted to floats where its dtype allows.
    private static func readEvery(_ names: [String], of source: some TensorSource) throws {
        var sink: Float = 0
        for name in names {
            let tensor = try source.tensor(name)
            if tensor.dtype.isFloatReadable { sink += tensor.toFloat32().floats.first ?? 0 }
        }
        precondition(!sink.isSignalingNaN)
    }
}
