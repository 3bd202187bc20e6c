import Tensors

/// What a weight file says about one tensor without reading it: name, dtype and shape.
public struct TensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: DType
    public let shape: [Int]

    public init(name: String, dtype: DType, shape: [Int]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
    }

    /// Bytes the tensor's elements occupy (stored contiguously).
    public var byteCount: Int { dtype.byteCount(elements: shape.reduce(1, *)) ?? 0 }
}

/// A file of named tensors that `WeightStore` can serve: a `.safetensors` file or a PyTorch
/// `.bin` checkpoint. Opening a source validates it; `tensor(_:)` then only builds the view.
public protocol TensorSource: AnyObject, Sendable {
    /// The file's path.
    var path: String { get }
    /// Tensor names, sorted.
    var names: [String] { get }
    /// The dtype and shape of `name`, if present.
    func info(_ name: String) -> TensorInfo?
    /// The tensor `name` (a view into the file where its layout allows).
    func tensor(_ name: String) throws -> Tensor
    /// The mapping the tensors view, if the file is mapped.
    var mapping: MappedFile? { get }
}

extension SafeTensorsFile: TensorSource {
    public var mapping: MappedFile? { file }

    public func info(_ name: String) -> TensorInfo? {
        entries[name].map { TensorInfo(name: $0.name, dtype: $0.dtype, shape: $0.shape) }
    }
}
