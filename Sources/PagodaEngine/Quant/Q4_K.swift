/// `Q4_K`: 256 weights in 8 groups of 32, 4-bit codes, each group with a 6-bit scale and a
/// 6-bit min under the block's f16 `d` and `dmin`: `w = d · sc · q − dmin · m`.
///
/// Layout (144 bytes): `d: f16` at 0, `dmin: f16` at 2, `scales[12]` at 4 (see
/// `scaleAndMinK4`), `qs[128]` at 16. Each 64-element chunk uses 32 bytes: elements
/// `0…31` in the low nibbles, `32…63` in the high nibbles.
public enum Q4_K: QuantizableFormat {
    public static let type = GGMLType.q4_K
    public static let blockSize = kQuantBlockSize
    public static let dOffset = 0
    public static let dminOffset = 2
    public static let scalesOffset = 4
    public static let qsOffset = 16
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
            let q = qsOffset + 32 * chunk
            let y = out + 64 * chunk
            for l in 0..<32 {
                let byte = block.byte(at: q + l)
                y[l] = d1 * Float(byte & 0x0F) - min1
                y[l + 32] = d2 * Float(byte >> 4) - min2
            }
        }
    }

    public static func quantize(_ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        var L = [UInt8](repeating: 0, count: blockSize)
        KQuantMinScale.quantize(x, into: block, L: &L, nmax: 15, rmin: -1, rdelta: 0.1, nstep: 20,
                                dOffset: dOffset, dminOffset: dminOffset, scalesOffset: scalesOffset)
        for chunk in 0..<4 {
            for l in 0..<32 {
                block.storeByte(L[64 * chunk + l] | L[64 * chunk + l + 32] << 4, at: qsOffset + 32 * chunk + l)
            }
        }
    }
}

/// The shared first half of the `Q4_K` and `Q5_K` reference quantizers: per 32-group
/// scale/min fits, their 6-bit encoding under `d`/`dmin`, then the final codes `L` (0…nmax)
/// recomputed from the encoded scales. The caller packs `L`.
enum KQuantMinScale {
    static func quantize(
        _ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer, L: inout [UInt8],
        nmax: Int, rmin: Float, rdelta: Float, nstep: Int,
        dOffset: Int, dminOffset: Int, scalesOffset: Int
    ) {
        var scales = [Float](repeating: 0, count: 8)
        var mins = [Float](repeating: 0, count: 8)
        var weights = [Float](repeating: 0, count: 32)
        var laux = [UInt8](repeating: 0, count: 32)
        var maxScale: Float = 0
        var maxMin: Float = 0
        L.withUnsafeMutableBufferPointer { codes in
            for j in 0..<8 {
                let xs = x + 32 * j
                var sumX2: Float = 0
                for l in 0..<32 { sumX2 += xs[l] * xs[l] }
                let avX = (sumX2 / 32).squareRoot()
                for l in 0..<32 { weights[l] = avX + abs(xs[l]) }
                let fit = fitScaleAndMin(32, nmax, xs, weights, codes.baseAddress! + 32 * j, &laux,
                                         rmin: rmin, rdelta: rdelta, nstep: nstep, useMAD: false)
                scales[j] = fit.scale
                mins[j] = fit.min
                if fit.scale > maxScale { maxScale = fit.scale }
                if fit.min > maxMin { maxMin = fit.min }
            }
        }
        let invScale: Float = maxScale > 0 ? 63 / maxScale : 0
        let invMin: Float = maxMin > 0 ? 63 / maxMin : 0
        let ls = scales.map { Swift.min(63, UInt8(truncatingIfNeeded: nearestInt(invScale * $0))) }
        let lm = mins.map { Swift.min(63, UInt8(truncatingIfNeeded: nearestInt(invMin * $0))) }
        packScalesAndMinsK4(ls, lm, into: block + scalesOffset)
        block.storeHalf(maxScale / 63, at: dOffset)
        block.storeHalf(maxMin / 63, at: dminOffset)

        let d = UnsafeRawPointer(block).half(at: dOffset)
        let dmin = UnsafeRawPointer(block).half(at: dminOffset)
        for j in 0..<8 {
            let (sc, m) = scaleAndMinK4(j, UnsafeRawPointer(block + scalesOffset))
            let dj = d * Float(sc)
            if dj == 0 { continue }
            let dm = dmin * Float(m)
            for i in 0..<32 {
                let l = nearestInt((x[32 * j + i] + dm) / dj)
                L[32 * j + i] = UInt8(Swift.max(0, Swift.min(Int32(nmax), l)))
            }
        }
    }
}
