/// `Q6_K`: 256 weights in 16 groups of 16, 6-bit codes, each group with a signed 8-bit
/// scale under the block's f16 `d`: `w = d · sc · (q − 32)`.
///
/// Layout (210 bytes): `ql[128]` at 0 (low four bits), `qh[64]` at 128 (high two bits),
/// `scales[16]: i8` at 192, `d: f16` at 208. Each 128-element half uses 64 `ql` bytes and
/// 32 `qh` bytes: for `l` in 0…31, elements `l, l+32, l+64, l+96` take `ql[l]` low,
/// `ql[l+32]` low, `ql[l]` high, `ql[l+32]` high nibbles and `qh[l]` bits 0–1, 2–3, 4–5, 6–7.
public enum Q6_K: QuantizableFormat {
    public static let type = GGMLType.q6_K
    public static let blockSize = kQuantBlockSize
    public static let qlOffset = 0
    public static let qhOffset = 128
    public static let scalesOffset = 192
    public static let dOffset = 208
    public static let bytesPerBlock = dOffset + 2

    public static func dequantize(block: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>) {
        let d = block.half(at: dOffset)
        for half in 0..<2 {
            let ql = qlOffset + 64 * half, qh = qhOffset + 32 * half, sc = scalesOffset + 8 * half
            let y = out + 128 * half
            for l in 0..<32 {
                let group = l / 16
                let h = block.byte(at: qh + l)
                let a = block.byte(at: ql + l), b = block.byte(at: ql + l + 32)
                let q1 = Int((a & 0x0F) | ((h >> 0) & 3) << 4) - 32
                let q2 = Int((b & 0x0F) | ((h >> 2) & 3) << 4) - 32
                let q3 = Int((a >> 4) | ((h >> 4) & 3) << 4) - 32
                let q4 = Int((b >> 4) | ((h >> 6) & 3) << 4) - 32
                func scale(_ k: Int) -> Float { Float(block.load(fromByteOffset: sc + group + k, as: Int8.self)) }
                y[l] = d * scale(0) * Float(q1)
                y[l + 32] = d * scale(2) * Float(q2)
                y[l + 64] = d * scale(4) * Float(q3)
                y[l + 96] = d * scale(6) * Float(q4)
            }
        }
    }

    public static func quantize(_ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        var L = [Int8](repeating: 0, count: blockSize)
        var scales = [Float](repeating: 0, count: 16)
        var maxScale: Float = 0
        var maxAbsScale: Float = 0
        L.withUnsafeMutableBufferPointer { codes in
            for group in 0..<16 {
                let scale = fitSymmetricScale(16, 32, x + 16 * group, codes.baseAddress! + 16 * group)
                scales[group] = scale
                if abs(scale) > maxAbsScale {
                    maxAbsScale = abs(scale)
                    maxScale = scale
                }
            }
        }
        if maxAbsScale < groupMaxEpsilon {
            block.initializeMemory(as: UInt8.self, repeating: 0, count: bytesPerBlock)
            return
        }
        let iscale = -128 / maxScale
        block.storeHalf(1 / iscale, at: dOffset)
        for group in 0..<16 {
            let s = Int8(truncatingIfNeeded: Swift.min(127, nearestInt(iscale * scales[group])))
            block.storeBytes(of: s, toByteOffset: scalesOffset + group, as: Int8.self)
        }
        let d = UnsafeRawPointer(block).half(at: dOffset)
        for group in 0..<16 {
            let dg = d * Float(UnsafeRawPointer(block).load(fromByteOffset: scalesOffset + group, as: Int8.self))
            if dg == 0 { continue }
            for i in 0..<16 {
                let l = Swift.max(-32, Swift.min(31, nearestInt(x[16 * group + i] / dg)))
                L[16 * group + i] = Int8(l + 32)
            }
        }
        for half in 0..<2 {
            let j = 128 * half
            for l in 0..<32 {
                let q1 = UInt8(L[j + l]), q2 = UInt8(L[j + l + 32]), q3 = UInt8(L[j + l + 64]), q4 = UInt8(L[j + l + 96])
                block.storeByte((q1 & 0x0F) | (q3 & 0x0F) << 4, at: qlOffset + 64 * half + l)
                block.storeByte((q2 & 0x0F) | (q4 & 0x0F) << 4, at: qlOffset + 64 * half + l + 32)
                block.storeByte((q1 >> 4) | (q2 >> 4) << 2 | (q3 >> 4) << 4 | (q4 >> 4) << 6, at: qhOffset + 32 * half + l)
            }
        }
    }
}
