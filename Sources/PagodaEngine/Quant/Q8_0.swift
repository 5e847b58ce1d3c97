import Foundation

/// `Q8_0`: 32 weights as int8 with one f16 scale; `w = d · q`.
///
/// Layout (34 bytes): `d: f16` at 0, `qs[32]: i8` at 2.
public enum Q8_0: QuantizableFormat {
    public static let type = GGMLType.q8_0
    public static let blockSize = 32
    public static let dOffset = 0
    public static let qsOffset = 2
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
        for j in 0..<blockSize {
            // roundf: half away from zero.
            let q = Int8(clamping: Int(exactly: roundf(x[j] * id)) ?? 0)
            block.storeBytes(of: q, toByteOffset: qsOffset + j, as: Int8.self)
        }
    }
}
