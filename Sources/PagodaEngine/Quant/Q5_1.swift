/// `Q5_1`: 32 weights as 5-bit codes with an f16 scale and minimum; `w = d · q + m`.
///
/// Layout (24 bytes): `d: f16` at 0, `m: f16` at 2, `qh: u32` at 4 (fifth bits), `qs[16]` at 8.
public enum Q5_1: QuantizableFormat {
    public static let type = GGMLType.q5_1
    public static let blockSize = 32
    public static let dOffset = 0
    public static let mOffset = 2
    public static let qhOffset = 4
    public static let qsOffset = 8
    public static let bytesPerBlock = qsOffset + blockSize / 2

    public static func dequantize(block: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>) {
        let d = block.half(at: dOffset)
        let m = block.half(at: mOffset)
        let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: qhOffset, as: UInt32.self))
        for j in 0..<16 {
            let q = block.byte(at: qsOffset + j)
            let h0 = Int((qh >> UInt32(j)) & 1) << 4
            let h1 = Int((qh >> UInt32(j + 16)) & 1) << 4
            out[j] = Float(Int(q & 0x0F) | h0) * d + m
            out[j + 16] = Float(Int(q >> 4) | h1) * d + m
        }
    }

    public static func quantize(_ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        var lo = Float.greatestFiniteMagnitude
        var hi = -Float.greatestFiniteMagnitude
        for j in 0..<blockSize {
            if x[j] < lo { lo = x[j] }
            if x[j] > hi { hi = x[j] }
        }
        let d = (hi - lo) / 31
        let id: Float = d != 0 ? 1 / d : 0
        block.storeHalf(d, at: dOffset)
        block.storeHalf(lo, at: mOffset)
        var qh: UInt32 = 0
        for j in 0..<16 {
            // GGML converts with (uint8_t) here, no clamp; the codes stay within 0…31.
            let q0 = UInt8(truncatingIfNeeded: truncatingToInt8((x[j] - lo) * id + 0.5))
            let q1 = UInt8(truncatingIfNeeded: truncatingToInt8((x[j + 16] - lo) * id + 0.5))
            block.storeByte((q0 & 0x0F) | (q1 & 0x0F) << 4, at: qsOffset + j)
            qh |= UInt32((q0 & 0x10) >> 4) << UInt32(j)
            qh |= UInt32((q1 & 0x10) >> 4) << UInt32(j + 16)
        }
        block.storeBytes(of: qh.littleEndian, toByteOffset: qhOffset, as: UInt32.self)
    }
}
