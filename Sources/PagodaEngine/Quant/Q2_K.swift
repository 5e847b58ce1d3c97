/// `Q2_K`: 256 weights in 16 groups of 16, 2-bit codes, each group with a 4-bit scale and a
/// 4-bit min under the block's f16 `d` and `dmin`: `w = d · sc · q − dmin · m`.
///
/// Layout (84 bytes): `scales[16]` at 0 (low nibble scale, high nibble min), `qs[64]` at 16,
/// `d: f16` at 80, `dmin: f16` at 82. In each 128-element half, byte `l` of its 32 `qs`
/// bytes holds elements `l`, `l + 32`, `l + 64`, `l + 96` at bit shifts 0, 2, 4, 6.
public enum Q2_K: QuantFormat {
    public static let type = GGMLType.q2_K
    public static let blockSize = kQuantBlockSize
    public static let scalesOffset = 0
    public static let qsOffset = 16
    public static let dOffset = qsOffset + blockSize / 4
    public static let dminOffset = dOffset + 2
    public static let bytesPerBlock = dminOffset + 2

    public static func dequantize(block: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>) {
        let d = block.half(at: dOffset)
        let dmin = block.half(at: dminOffset)
        var y = out
        var group = 0
        for half in 0..<2 {
            let q = qsOffset + 32 * half
            for shift in stride(from: 0, to: 8, by: 2) {
                for part in 0..<2 {
                    let sc = block.byte(at: scalesOffset + group)
                    group += 1
                    let dl = d * Float(sc & 0x0F)
                    let ml = dmin * Float(sc >> 4)
                    for l in 0..<16 {
                        y[l] = dl * Float((block.byte(at: q + 16 * part + l) >> UInt8(shift)) & 3) - ml
                    }
                    y += 16
                }
            }
        }
    }
}
