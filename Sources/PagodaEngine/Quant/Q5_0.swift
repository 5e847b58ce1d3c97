/// `Q5_0`: 32 weights as 5-bit codes `q` in 0…31 with an f16 scale; `w = d · (q − 16)`.
///
/// Layout (22 bytes): `d: f16` at 0, `qh: u32` at 2 (bit `j` is the fifth bit of element `j`),
/// `qs[16]` at 6 (low four bits: element `j` low nibble, element `j + 16` high nibble).
public enum Q5_0: QuantizableFormat {
    public static let type = GGMLType.q5_0
    public static let blockSize = 32
    public static let dOffset = 0
    public static let qhOffset = 2
    public static let qsOffset = 6
    public static let bytesPerBlock = qsOffset + blockSize / 2

    public static func dequantize(block: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>) {
        let d = block.half(at: dOffset)
        let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: qhOffset, as: UInt32.self))
        for j in 0..<16 {
            let q = block.byte(at: qsOffset + j)
            let h0 = Int((qh >> UInt32(j)) & 1) << 4
            let h1 = Int((qh >> UInt32(j + 16)) & 1) << 4
            out[j] = Float((Int(q & 0x0F) | h0) - 16) * d
            out[j + 16] = Float((Int(q >> 4) | h1) - 16) * d
        }
    }

    public static func quantize(_ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        var amax: Float = 0
        var max: Float = 0
        for j in 0..<blockSize where amax < abs(x[j]) {
            amax = abs(x[j])
            max = x[j]
        }
        let d = max / -16
        let id: Float = d != 0 ? 1 / d : 0
        block.storeHalf(d, at: dOffset)
        var qh: UInt32 = 0
        for j in 0..<16 {
            let q0 = UInt8(min(31, truncatingToInt8(x[j] * id + 16.5)))
            let q1 = UInt8(min(31, truncatingToInt8(x[j + 16] * id + 16.5)))
            block.storeByte((q0 & 0x0F) | (q1 & 0x0F) << 4, at: qsOffset + j)
            qh |= UInt32(q0 >> 4) << UInt32(j)
            qh |= UInt32(q1 >> 4) << UInt32(j + 16)
        }
        block.storeBytes(of: qh.littleEndian, toByteOffset: qhOffset, as: UInt32.self)
    }
}
