/// `Q2_K`: 256 weights in 16 groups of 16, 2-bit codes, each group with a 4-bit scale and a
/// 4-bit min under the block's f16 `d` and `dmin`: `w = d · sc · q − dmin · m`.
///
/// Layout (84 bytes): `scales[16]` at 0 (low nibble scale, high nibble min), `qs[64]` at 16,
/// `d: f16` at 80, `dmin: f16` at 82. In each 128-element half, byte `l` of its 32 `qs`
/// bytes holds elements `l`, `l + 32`, `l + 64`, `l + 96` at bit shifts 0, 2, 4, 6.
public enum Q2_K: QuantizableFormat {
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

    /// `quantize_row_q2_K_ref`: each group of 16 fitted as scale · L − min with L in 0…3
    /// (weighted by |x|, absolute error); the sixteen scales and mins then quantized to 4 bits
    /// under the block's `d` and `dmin`, and the codes chosen again against those.
    public static func quantize(_ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        var L = [UInt8](repeating: 0, count: blockSize)
        var laux = [UInt8](repeating: 0, count: 16)
        var weights = [Float](repeating: 0, count: 16)
        var scales = [Float](repeating: 0, count: 16)
        var mins = [Float](repeating: 0, count: 16)
        var maxScale: Float = 0, maxMin: Float = 0
        for j in 0..<16 {
            for l in 0..<16 { weights[l] = abs(x[16 * j + l]) }
            let fit = L.withUnsafeMutableBufferPointer { Lp in
                laux.withUnsafeMutableBufferPointer { la in
                    weights.withUnsafeBufferPointer { w in
                        fitScaleAndMin(16, 3, x + 16 * j, w.baseAddress!, Lp.baseAddress! + 16 * j, la.baseAddress!,
                                       rmin: -0.5, rdelta: 0.1, nstep: 15, useMAD: true)
                    }
                }
            }
            scales[j] = fit.scale
            mins[j] = fit.min
            if fit.scale > maxScale { maxScale = fit.scale }
            if fit.min > maxMin { maxMin = fit.min }
        }
        let q4scale: Float = 15
        var packed = [UInt8](repeating: 0, count: 16)
        if maxScale > 0 {
            let iscale = q4scale / maxScale
            for j in 0..<16 { packed[j] = UInt8(truncatingIfNeeded: nearestInt(iscale * scales[j])) }
            block.storeHalf(maxScale / q4scale, at: dOffset)
        } else {
            block.storeHalf(0, at: dOffset)
        }
        if maxMin > 0 {
            let iscale = q4scale / maxMin
            for j in 0..<16 { packed[j] |= UInt8(truncatingIfNeeded: nearestInt(iscale * mins[j]) << 4) }
            block.storeHalf(maxMin / q4scale, at: dminOffset)
        } else {
            block.storeHalf(0, at: dminOffset)
        }
        for j in 0..<16 { block.storeByte(packed[j], at: scalesOffset + j) }
        let d = UnsafeRawPointer(block).half(at: dOffset), dmin = UnsafeRawPointer(block).half(at: dminOffset)
        for j in 0..<16 {
            let dl = d * Float(packed[j] & 0x0F)
            if dl == 0 { continue }
            let dm = dmin * Float(packed[j] >> 4)
            for i in 0..<16 { L[16 * j + i] = UInt8(max(0, min(3, nearestInt((x[16 * j + i] + dm) / dl)))) }
        }
        for j in stride(from: 0, to: blockSize, by: 128) {
            for l in 0..<32 {
                block.storeByte(L[j + l] | L[j + l + 32] << 2 | L[j + l + 64] << 4 | L[j + l + 96] << 6, at: qsOffset + j / 4 + l)
            }
        }
    }
}
