/// The values a block of a 32-element type can take once its scale (and minimum) are set:
/// what GPTQ rounds each weight to, one column at a time, after the reference quantizer has
/// chosen the block's parameters. Types: Q4_0, Q4_1, Q8_0.
struct BlockGrid {
    let type: GGMLType
    private(set) var d: Float = 0
    private(set) var m: Float = 0

    static let types: Set<GGMLType> = [.q4_0, .q4_1, .q8_0]

    init?(_ type: GGMLType) {
        guard Self.types.contains(type) else { return nil }
        self.type = type
    }

    /// Sets the parameters from a block the reference quantizer wrote (as the dequantizer
    /// will read them: f16-rounded).
    mutating func load(_ block: UnsafeRawPointer) {
        d = block.half(at: 0)
        m = type == .q4_1 ? block.half(at: Q4_1.mOffset) : 0
    }

    /// The code nearest to `x` and the value it stands for.
    func nearest(_ x: Float) -> (code: Int, value: Float) {
        switch type {
        case .q4_0:
            let code = d == 0 ? 8 : min(15, max(0, Int((x / d).rounded()) + 8))
            return (code, Float(code - 8) * d)
        case .q4_1:
            let code = d == 0 ? 0 : min(15, max(0, Int(((x - m) / d).rounded())))
            return (code, Float(code) * d + m)
        default:  // Q8_0
            let code = d == 0 ? 0 : min(127, max(-128, Int((x / d).rounded())))
            return (code, Float(code) * d)
        }
    }

    /// Writes the 32 codes into `block`, keeping the parameters there.
    func store(_ codes: [Int], into block: UnsafeMutableRawPointer) {
        switch type {
        case .q4_0, .q4_1:
            let offset = type == .q4_0 ? Q4_0.qsOffset : Q4_1.qsOffset
            for j in 0..<16 { block.storeByte(UInt8(codes[j]) | UInt8(codes[j + 16]) << 4, at: offset + j) }
        default:
            for j in 0..<32 { block.storeByte(UInt8(bitPattern: Int8(codes[j])), at: Q8_0.qsOffset + j) }
        }
    }
}
