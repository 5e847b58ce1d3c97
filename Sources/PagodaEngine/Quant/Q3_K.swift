/// `Q3_K`: 256 weights in 16 groups of 16, 3-bit codes (two low bits in `qs`, the high bit
/// in `hmask`), each group with a 6-bit signed scale under the block's f16 `d`:
/// `w = d · (sc − 32) · (q − 4)`, where a set `hmask` bit means "no −4".
///
/// Layout (110 bytes): `hmask[32]` at 0, `qs[64]` at 32, `scales[12]` at 96 (sixteen 6-bit
/// values: low nibbles in bytes 0–7, high 2-bit pairs in bytes 8–11), `d: f16` at 108.
public enum Q3_K: QuantFormat {
    public static let type = GGMLType.q3_K
    public static let blockSize = kQuantBlockSize
    public static let hmaskOffset = 0
    public static let qsOffset = 32
    public static let scalesOffset = 96
    public static let dOffset = 108
    public static let bytesPerBlock = dOffset + 2

    /// The sixteen 6-bit scales, unpacked and centred (−32…31).
    static func scales(_ block: UnsafeRawPointer) -> [Int] {
        (0..<16).map { j in
            let low = j < 8 ? block.byte(at: scalesOffset + j) & 0x0F : block.byte(at: scalesOffset + j - 8) >> 4
            let high = (block.byte(at: scalesOffset + 8 + j % 4) >> UInt8(2 * (j / 4))) & 3
            return Int(low | high << 4) - 32
        }
    }

    public static func dequantize(block: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>) {
        let d = block.half(at: dOffset)
        let sc = scales(block)
        var y = out
        var group = 0
        var mask: UInt8 = 1
        for half in 0..<2 {
            let q = qsOffset + 32 * half
            for shift in stride(from: 0, to: 8, by: 2) {
                for part in 0..<2 {
                    let dl = d * Float(sc[group])
                    group += 1
                    for l in 0..<16 {
                        let index = 16 * part + l
                        let low = Int((block.byte(at: q + index) >> UInt8(shift)) & 3)
                        let high = block.byte(at: hmaskOffset + index) & mask != 0 ? 0 : 4
                        y[l] = dl * Float(low - high)
                    }
                    y += 16
                }
                mask <<= 1
            }
        }
    }
}
