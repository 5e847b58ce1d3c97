/// The unquantized element types: one element per "block".

/// `F32`: little-endian IEEE single.
public enum F32Format: QuantizableFormat {
    public static let type = GGMLType.f32

    public static func dequantize(block: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>) {
        out.pointee = Float(bitPattern: UInt32(littleEndian: block.loadUnaligned(as: UInt32.self)))
    }

    public static func quantize(_ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        block.storeBytes(of: x.pointee.bitPattern.littleEndian, as: UInt32.self)
    }
}

/// `F16`: IEEE half, rounded to nearest even on the way in (as `ggml_fp32_to_fp16`).
public enum F16Format: QuantizableFormat {
    public static let type = GGMLType.f16

    public static func dequantize(block: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>) {
        out.pointee = block.half(at: 0)
    }

    public static func quantize(_ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        block.storeHalf(x.pointee, at: 0)
    }
}

/// `BF16`: the top 16 bits of an IEEE single, rounded to nearest even; NaNs stay NaN
/// (quieted), as `ggml_compute_fp32_to_bf16`.
public enum BF16Format: QuantizableFormat {
    public static let type = GGMLType.bf16

    public static func dequantize(block: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>) {
        out.pointee = bf16ToFloat(block.loadUnaligned(as: UInt16.self))
    }

    public static func quantize(_ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        block.storeBytes(of: floatToBF16(x.pointee), as: UInt16.self)
    }

    @inline(__always) public static func bf16ToFloat(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    @inline(__always) public static func floatToBF16(_ x: Float) -> UInt16 {
        let u = x.bitPattern
        if u & 0x7FFF_FFFF > 0x7F80_0000 {  // NaN: keep the sign and top payload, force quiet
            return UInt16(truncatingIfNeeded: u >> 16) | 64
        }
        return UInt16(truncatingIfNeeded: (u &+ (0x7FFF &+ ((u >> 16) & 1))) >> 16)
    }
}
