/// Where one tensor lives in a GGUF file and what shape and type it has.
///
/// `shape` is in GGML order: `shape[0]` is the row length (contiguous elements),
/// `shape[1]` the number of rows, and so on. A weight matrix `W` of a layer mapping
/// `n_in → n_out` has shape `[n_in, n_out]`.
public struct GGUFTensorInfo: Equatable, Sendable {
    public let name: String
    public let shape: [Int]
    public let type: GGMLType
    /// Offset of the first byte, relative to the start of the data section.
    public let offset: Int
    /// Bytes the tensor's data occupies.
    public let byteCount: Int

    public var elementCount: Int { shape.reduce(1, *) }
    public var rowLength: Int { shape.first ?? 1 }
    public var rowCount: Int { shape.dropFirst().reduce(1, *) }

    public init(name: String, shape: [Int], type: GGMLType, offset: Int, byteCount: Int) {
        self.name = name
        self.shape = shape
        self.type = type
        self.offset = offset
        self.byteCount = byteCount
    }

    /// Bytes of a tensor of this shape and type, or a reason it has none: a row that is not a
    /// whole number of blocks, a negative dimension, or a product that overflows.
    public static func byteCount(shape: [Int], type: GGMLType) -> Result<Int, ShapeProblem> {
        guard let first = shape.first else { return .success(type.bytesPerBlock / type.blockSize) }
        if let negative = shape.first(where: { $0 < 0 }) { return .failure(.negativeDimension(negative)) }
        guard first % type.blockSize == 0 else { return .failure(.partialBlock(rowLength: first, blockSize: type.blockSize)) }
        let (rowBytes, rowOverflow) = (first / type.blockSize).multipliedReportingOverflow(by: type.bytesPerBlock)
        guard !rowOverflow else { return .failure(.overflow) }
        var total = rowBytes
        var elements = first
        for dimension in shape.dropFirst() {
            let (bytes, o1) = total.multipliedReportingOverflow(by: dimension)
            let (count, o2) = elements.multipliedReportingOverflow(by: dimension)
            guard !o1, !o2 else { return .failure(.overflow) }
            total = bytes
            elements = count
        }
        return .success(total)
    }

    public enum ShapeProblem: Error, Equatable, CustomStringConvertible {
        case negativeDimension(Int)
        case partialBlock(rowLength: Int, blockSize: Int)
        case overflow

        public var description: String {
            switch self {
            case .negativeDimension(let d): "dimension \(d) is negative"
            case .partialBlock(let n, let b): "row of \(n) elements is not a multiple of the block size \(b)"
            case .overflow: "the product of the dimensions overflows 64 bits"
            }
        }
    }
}
