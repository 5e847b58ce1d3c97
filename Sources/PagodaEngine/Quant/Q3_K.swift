/// `Q3_K`: 256 weights in 16 groups of 16, 3-bit codes (two low bits in `qs`, the high bit
/// in `hmask`), each group with a 6-bit signed scale under the block's f16 `d`:
/// `w = d · (sc − 32) · (q − 4)`, where a set `hmask` bit means "no −4".
///
/// Layout (110 bytes): `hmask[32]` at 0, `qs[64]` at 32, `scales[12]` at 96 (sixteen 6-bit
/// values: low nibbles in bytes 0–7, high 2-bit pairs in bytes 8–11), `d: f16` at 108.
public enum Q3_K: QuantizableFormat {
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

    /// `quantize_row_q3_K_ref`: each group of 16 fitted symmetrically with codes −4…3
    /// (`make_q3_quants` with its RMSE refinement); the sixteen scales quantized to 6 bits
    /// under the block's `d`, and the codes chosen again against those.
    public static func quantize(_ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        var L = [Int8](repeating: 0, count: blockSize)
        var groupScales = [Float](repeating: 0, count: 16)
        var maxScale: Float = 0, amax: Float = 0
        L.withUnsafeMutableBufferPointer { Lp in
            for j in 0..<16 {
                groupScales[j] = fitQ3Scale(16, 4, x + 16 * j, Lp.baseAddress! + 16 * j)
                let scale = abs(groupScales[j])
                if scale > amax { amax = scale; maxScale = groupScales[j] }
            }
        }
        var packed = [UInt8](repeating: 0, count: 12)
        if maxScale != 0 {
            let iscale = -32 / maxScale
            for j in 0..<16 {
                var l = Int8(truncatingIfNeeded: nearestInt(iscale * groupScales[j]))
                l = max(-32, min(31, l)) + 32
                if j < 8 { packed[j] = UInt8(l) & 0x0F } else { packed[j - 8] |= (UInt8(l) & 0x0F) << 4 }
                l >>= 4
                packed[j % 4 + 8] |= UInt8(l) << UInt8(2 * (j / 4))
            }
            block.storeHalf(1 / iscale, at: dOffset)
        } else {
            block.storeHalf(0, at: dOffset)
        }
        for j in 0..<12 { block.storeByte(packed[j], at: scalesOffset + j) }
        let d = UnsafeRawPointer(block).half(at: dOffset)
        let sc = scales(UnsafeRawPointer(block))
        for j in 0..<16 {
            let dl = d * Float(sc[j])
            if dl == 0 { continue }
            for i in 0..<16 { L[16 * j + i] = Int8(max(-4, min(3, nearestInt(x[16 * j + i] / dl)))) + 4 }
        }
        var hmask = [UInt8](repeating: 0, count: 32)
        var m = 0
        var bit: UInt8 = 1
        for j in 0..<blockSize {
            if L[j] > 3 {
                hmask[m] |= bit
                L[j] -= 4
            }
            m += 1
            if m == 32 { m = 0; bit <<= 1 }
        }
        for j in 0..<32 { block.storeByte(hmask[j], at: hmaskOffset + j) }
        for j in stride(from: 0, to: blockSize, by: 128) {
            for l in 0..<32 {
                let v = UInt8(L[j + l]) | UInt8(L[j + l + 32]) << 2 | UInt8(L[j + l + 64]) << 4 | UInt8(L[j + l + 96]) << 6
                block.storeByte(v, at: qsOffset + j / 4 + l)
            }
        }
    }
}
