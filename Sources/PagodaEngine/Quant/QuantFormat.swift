/// One GGML block format: its layout and scalar reference conversions.
///
/// The reference functions are the plain, obviously correct versions every fast kernel is
/// tested against. `quantize` reproduces llama.cpp's `quantize_row_*_ref` bit for bit, so
/// files Pagoda writes are what other GGUF tools would write.
public protocol QuantFormat {
    static var type: GGMLType { get }
    /// Dequantizes one block at `block` into `type.blockSize` floats at `out`.
    static func dequantize(block: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>)
}

/// A format Pagoda can also produce from f32.
public protocol QuantizableFormat: QuantFormat {
    /// Quantizes `type.blockSize` floats at `x` into one block at `block`.
    static func quantize(_ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer)
}

extension GGMLType {
    /// The reference implementation of this type, or nil where Pagoda has none (most IQ types).
    public var format: QuantFormat.Type? {
        switch self {
        case .f32: F32Format.self
        case .f16: F16Format.self
        case .bf16: BF16Format.self
        case .q4_0: Q4_0.self
        case .q4_1: Q4_1.self
        case .q5_0: Q5_0.self
        case .q5_1: Q5_1.self
        case .q8_0: Q8_0.self
        case .q8_1: Q8_1.self
        case .q2_K: Q2_K.self
        case .q3_K: Q3_K.self
        case .q4_K: Q4_K.self
        case .q5_K: Q5_K.self
        case .q6_K: Q6_K.self
        case .q8_K: Q8_K.self
        case .iq4_nl: IQ4_NL.self
        default: nil
        }
    }

    public var canDequantize: Bool { format != nil }
    public var canQuantize: Bool { format is QuantizableFormat.Type }
}

public enum QuantError: Error, CustomStringConvertible, Equatable {
    case unsupported(GGMLType, operation: String)
    case partialBlock(GGMLType, elements: Int)
    case sizeMismatch(GGMLType, elements: Int, bytes: Int)

    public var description: String {
        switch self {
        case .unsupported(let t, let op): "\(op) of \(t) is not supported"
        case .partialBlock(let t, let n): "\(n) elements is not a whole number of \(t) blocks of \(t.blockSize)"
        case .sizeMismatch(let t, let n, let b): "\(n) elements of \(t) need \(t.rowBytes(n) ?? -1) bytes, got \(b)"
        }
    }
}

/// Row-level entry points over the per-block reference functions.
public enum Quantization {
    /// Dequantizes `count` elements of `type` from `source` into `out`.
    public static func dequantize(_ type: GGMLType, _ source: UnsafeRawBufferPointer, count: Int, into out: UnsafeMutablePointer<Float>) throws {
        guard let format = type.format else { throw QuantError.unsupported(type, operation: "dequantization") }
        guard let bytes = type.rowBytes(count) else { throw QuantError.partialBlock(type, elements: count) }
        guard source.count >= bytes, let base = source.baseAddress else {
            throw QuantError.sizeMismatch(type, elements: count, bytes: source.count)
        }
        let blocks = count / type.blockSize
        for b in 0..<blocks {
            format.dequantize(block: base + b * type.bytesPerBlock, into: out + b * type.blockSize)
        }
    }

    public static func dequantize(_ type: GGMLType, _ source: UnsafeRawBufferPointer, count: Int) throws -> [Float] {
        try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            try dequantize(type, source, count: count, into: buffer.baseAddress!)
            initialized = count
        }
    }

    /// Quantizes `values` (a whole number of blocks) to `type` with the reference quantizer.
    public static func quantize(_ type: GGMLType, _ values: [Float]) throws -> [UInt8] {
        guard let format = type.format as? QuantizableFormat.Type else {
            throw QuantError.unsupported(type, operation: "quantization")
        }
        guard let bytes = type.rowBytes(values.count) else { throw QuantError.partialBlock(type, elements: values.count) }
        var out = [UInt8](repeating: 0, count: bytes)
        values.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBytes { y in
                for b in 0..<(values.count / type.blockSize) {
                    format.quantize(x.baseAddress! + b * type.blockSize, into: y.baseAddress! + b * type.bytesPerBlock)
                }
            }
        }
        return out
    }
}
