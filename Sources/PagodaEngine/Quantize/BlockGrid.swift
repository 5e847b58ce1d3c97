/// The values a block can take once its parameters are set: what GPTQ rounds each weight
/// to, one column at a time, after the reference quantizer has chosen the block's scales
/// (and minimums) from the block's current weights. For K-quants the block is the 256-element
/// super-block, so its super-block and sub-block scales are fixed together, first.
///
/// In every supported type an element's value is affine in its stored code,
/// `value = offset_j + step_j · code` with `code` in `codes`; `load` reads `offset_j` and
/// `step_j` off the block by writing all-0 and all-1 codes into a copy and dequantizing it,
/// so the grid is exactly the dequantizer's. Only the packing of codes is per type.
struct BlockGrid {
    let type: GGMLType
    /// The stored codes an element may take.
    let codes: ClosedRange<Int>
    private(set) var offsets: [Float]
    private(set) var steps: [Float]

    static let types: Set<GGMLType> = [.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K]

    init?(_ type: GGMLType) {
        let codes: ClosedRange<Int>
        switch type {
        case .q4_0, .q4_1, .q4_K: codes = 0...15
        case .q5_0, .q5_1, .q5_K: codes = 0...31
        case .q6_K: codes = 0...63
        case .q8_0: codes = -128...127
        default: return nil
        }
        self.type = type
        self.codes = codes
        offsets = [Float](repeating: 0, count: type.blockSize)
        steps = offsets
    }

    /// Elements per block (32, or 256 for K-quants).
    var span: Int { type.blockSize }

    /// Reads the grid of `block`, a block the reference quantizer wrote.
    mutating func load(_ block: UnsafeRawPointer) {
        let bytes = type.bytesPerBlock
        let probe = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 16)
        defer { probe.deallocate() }
        probe.copyMemory(from: block, byteCount: bytes)
        let zero = [Int](repeating: 0, count: span), one = [Int](repeating: 1, count: span)
        var atOne = [Float](repeating: 0, count: span)
        store(zero, into: probe)
        offsets.withUnsafeMutableBufferPointer { type.format!.dequantize(block: UnsafeRawPointer(probe), into: $0.baseAddress!) }
        store(one, into: probe)
        atOne.withUnsafeMutableBufferPointer { type.format!.dequantize(block: UnsafeRawPointer(probe), into: $0.baseAddress!) }
        for j in 0..<span { steps[j] = atOne[j] - offsets[j] }
    }

    /// The code nearest to `x` for element `j` of the block, and the value it stands for.
    func nearest(_ x: Float, element j: Int) -> (code: Int, value: Float) {
        let step = steps[j], offset = offsets[j]
        guard step != 0 else { return (max(codes.lowerBound, 0), offset) }
        let code = min(codes.upperBound, max(codes.lowerBound, Int(((x - offset) / step).rounded())))
        return (code, offset + step * Float(code))
    }

    /// Writes one code per element into `block`, keeping its parameters.
    func store(_ q: [Int], into block: UnsafeMutableRawPointer) {
        switch type {
        case .q4_0, .q4_1:
            let offset = type == .q4_0 ? Q4_0.qsOffset : Q4_1.qsOffset
            for j in 0..<16 { block.storeByte(UInt8(q[j]) | UInt8(q[j + 16]) << 4, at: offset + j) }
        case .q5_0, .q5_1:
            let (qs, qhAt) = type == .q5_0 ? (Q5_0.qsOffset, Q5_0.qhOffset) : (Q5_1.qsOffset, Q5_1.qhOffset)
            var qh: UInt32 = 0
            for j in 0..<16 {
                block.storeByte(UInt8(q[j] & 15) | UInt8(q[j + 16] & 15) << 4, at: qs + j)
                qh |= UInt32(q[j] >> 4) << UInt32(j) | UInt32(q[j + 16] >> 4) << UInt32(j + 16)
            }
            block.storeBytes(of: qh.littleEndian, toByteOffset: qhAt, as: UInt32.self)
        case .q8_0:
            for j in 0..<32 { block.storeByte(UInt8(bitPattern: Int8(q[j])), at: Q8_0.qsOffset + j) }
        case .q4_K:
            for c in 0..<4 {
                for l in 0..<32 { block.storeByte(UInt8(q[64 * c + l]) | UInt8(q[64 * c + l + 32]) << 4, at: Q4_K.qsOffset + 32 * c + l) }
            }
        case .q5_K:
            var qh = [UInt8](repeating: 0, count: 32)
            for c in 0..<4 {
                for l in 0..<32 {
                    let a = q[64 * c + l], b = q[64 * c + l + 32]
                    block.storeByte(UInt8(a & 15) | UInt8(b & 15) << 4, at: Q5_K.qsOffset + 32 * c + l)
                    qh[l] |= UInt8(a >> 4) << UInt8(2 * c) | UInt8(b >> 4) << UInt8(2 * c + 1)
                }
            }
            for l in 0..<32 { block.storeByte(qh[l], at: Q5_K.qhOffset + l) }
        default:  // Q6_K: halves of 128; element 32·k + l of a half in ql[l (+32)] and qh[l] bits 2k.
            for half in 0..<2 {
                let ql = Q6_K.qlOffset + 64 * half, qhAt = Q6_K.qhOffset + 32 * half, e = 128 * half
                for l in 0..<32 {
                    let q1 = q[e + l], q2 = q[e + l + 32], q3 = q[e + l + 64], q4 = q[e + l + 96]
                    block.storeByte(UInt8(q1 & 15) | UInt8(q3 & 15) << 4, at: ql + l)
                    block.storeByte(UInt8(q2 & 15) | UInt8(q4 & 15) << 4, at: ql + l + 32)
                    block.storeByte(UInt8(q1 >> 4) | UInt8(q2 >> 4) << 2 | UInt8(q3 >> 4) << 4 | UInt8(q4 >> 4) << 6, at: qhAt + l)
                }
            }
        }
    }
}
