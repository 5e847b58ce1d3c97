/// `Q4_1`: 32 weights as 4-bit codes with an f16 scale `d` and an f16 minimum `m`;
/// `w = d · q + m`.
///
/// Layout (20 bytes): `d: f16` at 0, `m: f16` at 2, `qs[16]` at 4 (element `j` low nibble,
/// element `j + 16` high nibble of byte `j`).
public enum Q4_1: QuantizableFormat {
    public static let type = GGMLType.q4_1
    public static let blockSize = 32
    public static let dOffset = 0
    public static let mOffset = 2
    public static let qsOffset = 4
    public static let bytesPerBlock = qsOffset + blockSize / 2

    public static func dequantize(block: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>) {
        let d = block.half(at: dOffset)
        let m = block.half(at: mOffset)
        for j in 0..<16 {
            let q = block.byte(at: qsOffset + j)
            out[j] = Float(q & 0x0F) * d + m
            out[j + 16] = Float(q >> 4) * d + m
        }
    }

    public static func quantize(_ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        var lo = Float.greatestFiniteMagnitude
        var hi = -Float.greatestFiniteMagnitude
        for j in 0..<blockSize {
            if x[j] < lo { lo = x[j] }
            if x[j] > hi { hi = x[j] }
        }
        let d = (hi - lo) / 15
        let id: Float = d != 0 ? 1 / d : 0
        block.storeHalf(d, at: dOffset)
        block.storeHalf(lo, at: mOffset)
        for j in 0..<16 {
            let q0 = UInt8(min(15, truncatingToInt8((x[j] - lo) * id + 0.5)))
            let q1 = UInt8(min(15, truncatingToInt8((x[j + 16] - lo) * id + 0.5)))
            block.storeByte(q0 | q1 << 4, at: qsOffset + j)
        }
    }
}
