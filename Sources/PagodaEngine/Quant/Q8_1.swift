import Foundation

/// `Q8_1`: like `Q8_0`, plus `s = d · Σq` so dot products with offset formats (`Q4_1`,
/// `Q5_1`) can add the minimum's contribution in one multiply.
///
/// Layout (36 bytes): `d: f16` at 0, `s: f16` at 2, `qs[32]: i8` at 4.
public enum Q8_1: QuantizableFormat {
    public static let type = GGMLType.q8_1
    public static let blockSize = 32
    public static let dOffset = 0
    public static let sOffset = 2
    public static let qsOffset = 4
    public static let bytesPerBlock = qsOffset + blockSize

    public static func dequantize(block: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>) {
        let d = block.half(at: dOffset)
        for j in 0..<blockSize {
            out[j] = Float(block.load(fromByteOffset: qsOffset + j, as: Int8.self)) * d
        }
    }

    public static func quantize(_ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        var amax: Float = 0
        for j in 0..<blockSize { amax = Swift.max(amax, abs(x[j])) }
        let d = amax / 127
        let id: Float = d != 0 ? 1 / d : 0
        block.storeHalf(d, at: dOffset)
        var sum = 0
        for j in 0..<blockSize {
            let q = Int8(clamping: Int(exactly: roundf(x[j] * id)) ?? 0)
            block.storeBytes(of: q, toByteOffset: qsOffset + j, as: Int8.self)
            sum += Int(q)
        }
        block.storeHalf(Float(sum) * d, at: sOffset)
    }
}
