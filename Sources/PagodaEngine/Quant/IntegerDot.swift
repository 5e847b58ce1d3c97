import CKernels
import Foundation

/// Matrix-vector products on quantized blocks with the activations quantized to 8 bits
/// (as llama.cpp does): per 32-element block, an integer dot product of the codes, scaled by
/// both block scales. The AVX2 kernels in `CKernels` do it with `vpmaddubsw`; the functions
/// here are their plain scalar twins, used where the CPU lacks AVX2/FMA/F16C and by the tests.
public enum IntegerDot {
    /// The weight types with an integer dot product.
    public static let types: Set<GGMLType> = [.q4_0, .q4_1, .q5_0, .q8_0, .q4_K, .q6_K]

    /// Bytes of one activation block (`pagoda_q8_block`): d, s, 32 codes.
    public static let activationBlockBytes = MemoryLayout<pagoda_q8_block>.stride

    // MARK: - Activations

    /// Quantizes `n` floats (a multiple of 32) into `n / 32` activation blocks.
    public static func quantize(_ x: UnsafePointer<Float>, count n: Int, into out: UnsafeMutablePointer<pagoda_q8_block>, simd: Bool = KernelSet.current.hasAVX2) {
        if simd { return pagoda_quantize_q8(x, Int32(n), out) }
        quantizeScalar(x, count: n, into: out)
    }

    /// d = max|x| / 127, q = x / d rounded to nearest even, s = d · Σq.
    public static func quantizeScalar(_ x: UnsafePointer<Float>, count n: Int, into out: UnsafeMutablePointer<pagoda_q8_block>) {
        for b in 0..<(n / 32) {
            let xb = x + 32 * b
            var amax: Float = 0
            for j in 0..<32 { amax = max(amax, abs(xb[j])) }
            let d = amax / 127
            let id: Float = d != 0 ? 1 / d : 0
            var sum: Int32 = 0
            withUnsafeMutableBytes(of: &out[b].qs) { qs in
                for j in 0..<32 {
                    let q = Int32((xb[j] * id).rounded(.toNearestOrEven))
                    qs[j] = UInt8(bitPattern: Int8(truncatingIfNeeded: q))
                    sum += q
                }
            }
            out[b].d = d
            out[b].s = d * Float(sum)
        }
    }

    // MARK: - Dot products

    /// Σ over `blocks` blocks of weight row `w` (type `type`) times activations `a`.
    @inline(__always)
    public static func dot(
        _ type: GGMLType, _ w: UnsafeRawPointer, _ a: UnsafePointer<pagoda_q8_block>, blocks: Int,
        simd: Bool = KernelSet.current.hasAVX2, vnni: Bool = KernelSet.current.hasVNNI
    ) -> Float {
        if simd && vnni {
            switch type {
            case .q4_0: return pagoda_dot_q4_0_vnni(w, a, Int32(blocks))
            case .q4_1: return pagoda_dot_q4_1_vnni(w, a, Int32(blocks))
            case .q5_0: return pagoda_dot_q5_0_vnni(w, a, Int32(blocks))
            case .q4_K: return pagoda_dot_q4_k_vnni(w, a, Int32(blocks))
            case .q6_K: return pagoda_dot_q6_k_vnni(w, a, Int32(blocks))
            default: break
            }
        }
        if simd {
            switch type {
            case .q4_0: return pagoda_dot_q4_0(w, a, Int32(blocks))
            case .q4_1: return pagoda_dot_q4_1(w, a, Int32(blocks))
            case .q5_0: return pagoda_dot_q5_0(w, a, Int32(blocks))
            case .q8_0: return pagoda_dot_q8_0(w, a, Int32(blocks))
            case .q4_K: return pagoda_dot_q4_k(w, a, Int32(blocks))
            case .q6_K: return pagoda_dot_q6_k(w, a, Int32(blocks))
            default: break
            }
        }
        return dotScalar(type, w, a, blocks: blocks)
    }

    /// The scalar twin of every kernel. `blocks` counts 32-element activation blocks.
    public static func dotScalar(_ type: GGMLType, _ w: UnsafeRawPointer, _ a: UnsafePointer<pagoda_q8_block>, blocks: Int) -> Float {
        if type == .q4_K || type == .q6_K { return dotKScalar(type, w, a, blocks: blocks) }
        var total: Float = 0
        for b in 0..<blocks {
            let block = w + b * type.bytesPerBlock
            let act = a[b]
            var isum: Int32 = 0
            withUnsafeBytes(of: act.qs) { qs in
                func y(_ j: Int) -> Int32 { Int32(Int8(bitPattern: qs[j])) }
                switch type {
                case .q4_0, .q4_1:
                    let offset: Int32 = type == .q4_0 ? 8 : 0
                    let qs0 = type == .q4_0 ? Q4_0.qsOffset : Q4_1.qsOffset
                    for j in 0..<16 {
                        let byte = block.byte(at: qs0 + j)
                        isum += (Int32(byte & 0x0F) - offset) * y(j) + (Int32(byte >> 4) - offset) * y(j + 16)
                    }
                case .q5_0:
                    let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: Q5_0.qhOffset, as: UInt32.self))
                    for j in 0..<16 {
                        let byte = block.byte(at: Q5_0.qsOffset + j)
                        let lo = Int32(byte & 0x0F) | Int32((qh >> UInt32(j)) & 1) << 4
                        let hi = Int32(byte >> 4) | Int32((qh >> UInt32(j + 16)) & 1) << 4
                        isum += (lo - 16) * y(j) + (hi - 16) * y(j + 16)
                    }
                case .q8_0:
                    for j in 0..<32 { isum += Int32(block.load(fromByteOffset: Q8_0.qsOffset + j, as: Int8.self)) * y(j) }
                default:
                    preconditionFailure("no integer dot product for \(type)")
                }
            }
            total += block.half(at: 0) * act.d * Float(isum)
            if type == .q4_1 { total += block.half(at: Q4_1.mOffset) * act.s }
        }
        return total
    }

    /// K-quant twin: per 32-element chunk, integer sums of codes times activations, scaled
    /// by the sub-block scales (two 16-element groups per chunk for Q6_K).
    static func dotKScalar(_ type: GGMLType, _ w: UnsafeRawPointer, _ a: UnsafePointer<pagoda_q8_block>, blocks: Int) -> Float {
        var total: Float = 0
        for b in 0..<(blocks / 8) {
            let block = w + b * type.bytesPerBlock
            for k in 0..<8 {
                let act = a[8 * b + k]
                withUnsafeBytes(of: act.qs) { qs in
                    func y(_ j: Int) -> Int32 { Int32(Int8(bitPattern: qs[j])) }
                    if type == .q4_K {
                        let (scale, min) = scaleAndMinK4(k, block + Q4_K.scalesOffset)
                        var isum: Int32 = 0
                        for j in 0..<32 {
                            let byte = block.byte(at: Q4_K.qsOffset + 32 * (k / 2) + j)
                            isum += Int32(k % 2 == 0 ? byte & 0x0F : byte >> 4) * y(j)
                        }
                        total += block.half(at: Q4_K.dOffset) * Float(scale) * act.d * Float(isum)
                        total -= block.half(at: Q4_K.dminOffset) * Float(min) * act.s
                    } else {
                        let half = k / 4, c = k % 4
                        let d = block.half(at: Q6_K.dOffset)
                        var sums: (Int32, Int32) = (0, 0)
                        for j in 0..<32 {
                            let lowByte = block.byte(at: Q6_K.qlOffset + 64 * half + 32 * (c & 1) + j)
                            let low = c < 2 ? lowByte & 0x0F : lowByte >> 4
                            let top = (block.byte(at: Q6_K.qhOffset + 32 * half + j) >> UInt8(2 * c)) & 3
                            let q = Int32(low | top << 4) - 32
                            if j < 16 { sums.0 += q * y(j) } else { sums.1 += q * y(j) }
                        }
                        let scale = { (g: Int) in Float(block.load(fromByteOffset: Q6_K.scalesOffset + 8 * half + 2 * c + g, as: Int8.self)) }
                        total += d * act.d * scale(0) * Float(sums.0) + d * act.d * scale(1) * Float(sums.1)
                    }
                }
            }
        }
        return total
    }
}
