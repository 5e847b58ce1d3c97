/// `IQ4_NL`: 32 weights as 4-bit indices into a fixed non-linear table, with an f16 scale:
/// `w = d · table[q]`. Same layout as `Q4_0` (18 bytes: `d` at 0, `qs[16]` at 2).
public enum IQ4_NL: QuantFormat {
    public static let type = GGMLType.iq4_nl
    public static let blockSize = 32
    public static let dOffset = 0
    public static let qsOffset = 2
    public static let bytesPerBlock = qsOffset + blockSize / 2

    /// GGML's `kvalues_iq4nl`.
    public static let table: [Int8] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]

    public static func dequantize(block: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>) {
        let d = block.half(at: dOffset)
        for j in 0..<16 {
            let q = block.byte(at: qsOffset + j)
            out[j] = d * Float(table[Int(q & 0x0F)])
            out[j + 16] = d * Float(table[Int(q >> 4)])
        }
    }
}
