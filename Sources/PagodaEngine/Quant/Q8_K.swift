/// `Q8_K`: 256 values as int8 with an f32 scale and the sums of each group of 16 codes. Used
/// for activations in dot products with the K-quants, rarely for stored weights.
///
/// Layout (292 bytes): `d: f32` at 0, `qs[256]: i8` at 4, `bsums[16]: i16` at 260.
public enum Q8_K: QuantizableFormat {
    public static let type = GGMLType.q8_K
    public static let blockSize = kQuantBlockSize
    public static let dOffset = 0
    public static let qsOffset = 4
    public static let bsumsOffset = qsOffset + blockSize
    public static let bytesPerBlock = bsumsOffset + 2 * blockSize / 16

    public static func dequantize(block: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>) {
        let d = Float(bitPattern: UInt32(littleEndian: block.loadUnaligned(fromByteOffset: dOffset, as: UInt32.self)))
        for j in 0..<blockSize {
            out[j] = d * Float(block.load(fromByteOffset: qsOffset + j, as: Int8.self))
        }
    }

    /// The scale maps the largest magnitude to −127 (not −128), as GGML's reference does.
    public static func quantize(_ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        var max: Float = 0
        var amax: Float = 0
        for j in 0..<blockSize where abs(x[j]) > amax {
            amax = abs(x[j])
            max = x[j]
        }
        guard amax != 0 else {
            block.initializeMemory(as: UInt8.self, repeating: 0, count: bytesPerBlock)
            return
        }
        let iscale = -127 / max
        for j in 0..<blockSize {
            let q = Int8(truncatingIfNeeded: Swift.min(127, nearestInt(iscale * x[j])))
            block.storeBytes(of: q, toByteOffset: qsOffset + j, as: Int8.self)
        }
        for group in 0..<16 {
            var sum: Int16 = 0
            for i in 0..<16 { sum &+= Int16(block.load(fromByteOffset: qsOffset + 16 * group + i, as: Int8.self)) }
            block.storeBytes(of: sum.littleEndian, toByteOffset: bsumsOffset + 2 * group, as: Int16.self)
        }
        block.storeBytes(of: (1 / iscale).bitPattern.littleEndian, toByteOffset: dOffset, as: UInt32.self)
    }
}
