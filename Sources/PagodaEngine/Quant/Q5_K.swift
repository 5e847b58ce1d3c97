/// `Q5_K`: as `Q4_K` with a fifth bit per weight: `w = d · sc · q − dmin · m`, q in 0…31.
///
/// Layout (176 bytes): `d: f16` at 0, `dmin: f16` at 2, `scales[12]` at 4, `qh[32]` at 16,
/// `qs[128]` at 48. Chunk `c` (64 elements) takes its fifth bits from `qh` bits `2c`
/// (elements 0…31) and `2c + 1` (elements 32…63).
public enum Q5_K: QuantizableFormat {
    public static let type = GGMLType.q5_K
    public static let blockSize = kQuantBlockSize
    public static let dOffset = 0
    public static let dminOffset = 2
    public static let scalesOffset = 4
    public static let qhOffset = 16
    public static let qsOffset = 48
    public static let bytesPerBlock = qsOffset + blockSize / 2

    public static func dequantize(block: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>) {
        let d = block.half(at: dOffset)
        let dmin = block.half(at: dminOffset)
        let scales = block + scalesOffset
        for chunk in 0..<4 {
            let (sc1, m1) = scaleAndMinK4(2 * chunk, scales)
            let (sc2, m2) = scaleAndMinK4(2 * chunk + 1, scales)
            let d1 = d * Float(sc1), min1 = dmin * Float(m1)
            let d2 = d * Float(sc2), min2 = dmin * Float(m2)
            let u1 = UInt8(1) << UInt8(2 * chunk), u2 = UInt8(2) << UInt8(2 * chunk)
            let y = out + 64 * chunk
            for l in 0..<32 {
                let low = block.byte(at: qsOffset + 32 * chunk + l)
                let high = block.byte(at: qhOffset + l)
                y[l] = d1 * Float(Int(low & 0x0F) + (high & u1 != 0 ? 16 : 0)) - min1
                y[l + 32] = d2 * Float(Int(low >> 4) + (high & u2 != 0 ? 16 : 0)) - min2
            }
        }
    }

    public static func quantize(_ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        var L = [UInt8](repeating: 0, count: blockSize)
        KQuantMinScale.quantize(x, into: block, L: &L, nmax: 31, rmin: -0.5, rdelta: 0.1, nstep: 15,
                                dOffset: dOffset, dminOffset: dminOffset, scalesOffset: scalesOffset)
        var qh = [UInt8](repeating: 0, count: 32)
        for chunk in 0..<4 {
            let m1 = UInt8(1) << UInt8(2 * chunk), m2 = UInt8(2) << UInt8(2 * chunk)
            for j in 0..<32 {
                var l1 = L[64 * chunk + j]
                if l1 > 15 { l1 -= 16; qh[j] |= m1 }
                var l2 = L[64 * chunk + j + 32]
                if l2 > 15 { l2 -= 16; qh[j] |= m2 }
                block.storeByte(l1 | l2 << 4, at: qsOffset + 32 * chunk + j)
            }
        }
        for j in 0..<32 { block.storeByte(qh[j], at: qhOffset + j) }
    }
}
