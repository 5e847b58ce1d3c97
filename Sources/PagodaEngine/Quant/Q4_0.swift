/// `Q4_0`: 32 weights as 4-bit codes `q` in 0…15 with one f16 scale `d`; `w = d · (q − 8)`.
///
/// Layout (18 bytes): `d: f16` at 0, `qs[16]` at 2. Byte `j` holds element `j` in its low
/// nibble and element `j + 16` in its high nibble.
public enum Q4_0: QuantizableFormat {
    public static let type = GGMLType.q4_0
    public static let blockSize = 32
    public static let dOffset = 0
    public static let qsOffset = 2
    public static let bytesPerBlock = qsOffset + blockSize / 2

    public static func dequantize(block: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>) {
        let d = block.half(at: dOffset)
        for j in 0..<16 {
            let q = block.byte(at: qsOffset + j)
            out[j] = Float(Int(q & 0x0F) - 8) * d
            out[j + 16] = Float(Int(q >> 4) - 8) * d
        }
    }

    /// The scale maps the element of largest magnitude to −8, so its sign picks the side
    /// with the extra code.
    public static func quantize(_ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        var amax: Float = 0
        var max: Float = 0
        for j in 0..<blockSize where amax < abs(x[j]) {
            amax = abs(x[j])
            max = x[j]
        }
        let d = max / -8
        let id: Float = d != 0 ? 1 / d : 0
        block.storeHalf(d, at: dOffset)
        for j in 0..<16 {
            let q0 = UInt8(min(15, truncatingToInt8(x[j] * id + 8.5)))
            let q1 = UInt8(min(15, truncatingToInt8(x[j + 16] * id + 8.5)))
            block.storeByte(q0 | q1 << 4, at: qsOffset + j)
        }
    }
}
