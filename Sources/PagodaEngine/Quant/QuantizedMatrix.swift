import CKernels

/// A read-only matrix whose rows are stored in a GGML block format, usually a view into the
/// memory-mapped model file. Rows are contiguous: row `r` starts at `r · rowBytes`.
///
/// In GGML's shape order a weight of shape `[columns, rows]` maps a vector of `columns`
/// inputs to `rows` outputs: `y = W x`, `y[r] = Σ_c W[r, c] · x[c]`.
public struct QuantizedMatrix: @unchecked Sendable {
    public let name: String
    public let type: GGMLType
    public let rows: Int
    public let columns: Int
    public let rowBytes: Int
    public let base: UnsafeRawPointer
    let format: QuantFormat.Type

    public init(name: String, type: GGMLType, rows: Int, columns: Int, base: UnsafeRawPointer) throws {
        guard let format = type.format else { throw QuantError.unsupported(type, operation: "matrix product") }
        guard let rowBytes = type.rowBytes(columns) else { throw QuantError.partialBlock(type, elements: columns) }
        self.name = name
        self.type = type
        self.rows = rows
        self.columns = columns
        self.rowBytes = rowBytes
        self.base = base
        self.format = format
    }

    public var byteCount: Int { rows * rowBytes }

    /// Dequantizes row `r` into `out` (`columns` floats).
    public func dequantizeRow(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        let row = base + r * rowBytes
        let blockSize = type.blockSize, blockBytes = type.bytesPerBlock
        for b in 0..<(columns / blockSize) {
            format.dequantize(block: row + b * blockBytes, into: out + b * blockSize)
        }
    }

    /// `y[t][r] = Σ_c W[r, c] · x[t][c]` for `tokens` input vectors laid out one after the
    /// other (`x` is `tokens × columns`, `y` is `tokens × rows`, row stride `yStride`).
    /// Each weight row is dequantized once into `scratch` (`columns` floats; an F32 row is
    /// read in place, an F16 row converted in bulk) and used for every token:
    /// O(rows · columns · tokens) multiply-adds, with FMA where the CPU has AVX2 (`simd`),
    /// else the plain loop, its twin.
    public func multiply(
        _ x: UnsafePointer<Float>, tokens: Int, into y: UnsafeMutablePointer<Float>, yStride: Int,
        rowRange: Range<Int>? = nil, scratch: UnsafeMutablePointer<Float>, simd: Bool = KernelSet.current.hasAVX2
    ) {
        for r in rowRange ?? 0..<rows {
            let w: UnsafePointer<Float>
            if type == .f32 {
                w = (base + r * rowBytes).assumingMemoryBound(to: Float.self)
            } else if type == .f16, simd {
                pagoda_f16_to_f32((base + r * rowBytes).assumingMemoryBound(to: UInt16.self), scratch, Int32(columns))
                w = UnsafePointer(scratch)
            } else {
                dequantizeRow(r, into: scratch)
                w = UnsafePointer(scratch)
            }
            for t in 0..<tokens {
                y[t * yStride + r] = simd ? pagoda_dot_f32(w, x + t * columns, Int32(columns)) : dot(w, x + t * columns, columns)
            }
        }
    }
}

extension QuantizedMatrix {
    /// Up to this many tokens of different sequences (a decode step) `multiplyQuantized`
    /// runs the multi-token dot (Q4_0, Q4_1, Q5_0: each block decoded once for all tokens) or
    /// the mat-vec kernel per token on tiles of `matvecTileRows` rows: the weights cross
    /// memory once, and each token's result is exactly its single-token one. Past it, and for
    /// several tokens of one prompt, the packed product (`multiplyPacked`), whose unpacking
    /// of the weights costs about three single-token passes at any count up to eight.
    /// Measured with `pagoda bench --parallel 1,2,3` (medians of four runs alternating with
    /// the per-token kernel): on Qwen2.5-Coder-0.5B with AVX2, 2 and 3 streams give 1.32× and
    /// 1.55× one stream (per token: 1.22× and 1.28×; packed, earlier: 0.64×); 4 give 1.38×
    /// either way.
    public static let matvecBatchTokens = 3

    public static let matvecTileRows = 32

    /// Whether `multiplyQuantized` serves this matrix's type.
    public var hasIntegerDot: Bool { IntegerDot.types.contains(type) }

    /// `y[t][r] = W[r] · a[t]` for activations already quantized (`columns / 32` blocks per
    /// token, one token after the other), over `rowRange`.
    ///
    /// Up to `matvecBatchTokens` tokens with the SIMD kernels, the mat-vec kernel per token on
    /// tiles of rows. More tokens (the engine gives those to `multiplyPacked`) decode each
    /// row once into 8-bit codes (`decoded` must hold `columns` bytes plus `columns / 8`
    /// floats) and dot it with every token.
    public func multiplyQuantized(
        _ a: UnsafePointer<pagoda_q8_block>, tokens: Int, into y: UnsafeMutablePointer<Float>, yStride: Int, rowRange: Range<Int>,
        decoded: UnsafeMutableRawPointer? = nil
    ) {
        let blocks = columns / 32
        let simd = KernelSet.current.hasAVX2
        let vnni: Int32 = KernelSet.current.hasVNNI ? 1 : 0
        if tokens == 1, simd,
           pagoda_matvec(Int32(type.rawValue), base, rowBytes, Int32(rowRange.lowerBound), Int32(rowRange.upperBound), a, Int32(blocks), y, vnni) != 0 {
            return
        }
        // A few tokens (a decode batch): Q4_0, Q4_1 and Q5_0 decode each block once for all of
        // them; the other types run the mat-vec kernel once per token on a tile of rows small
        // enough to stay in cache, so the weights cross memory once for all of them. The call
        // on an empty row range asks only whether the type has a mat-vec kernel.
        if tokens > 1, tokens <= Self.matvecBatchTokens, simd, !rowRange.isEmpty,
           pagoda_matvec_tokens(Int32(type.rawValue), base, rowBytes, Int32(rowRange.lowerBound), Int32(rowRange.upperBound), a,
                                Int32(blocks), Int32(tokens), y, yStride, vnni) != 0 {
            return
        }
        if tokens > 1, tokens <= Self.matvecBatchTokens, simd, !rowRange.isEmpty,
           pagoda_matvec(Int32(type.rawValue), base, rowBytes, Int32(rowRange.lowerBound), Int32(rowRange.lowerBound), a, Int32(blocks), y, vnni) != 0 {
            var first = rowRange.lowerBound
            while first < rowRange.upperBound {
                let last = min(rowRange.upperBound, first + Self.matvecTileRows)
                for t in 0..<tokens {
                    _ = pagoda_matvec(Int32(type.rawValue), base, rowBytes, Int32(first), Int32(last), a + t * blocks, Int32(blocks),
                                      y + t * yStride, vnni)
                }
                first = last
            }
            return
        }
        if tokens > 1, simd, let decoded {
            let codes = decoded.assumingMemoryBound(to: Int8.self)
            let scales = (decoded + columns).assumingMemoryBound(to: Float.self)
            let mins = scales + columns / 16
            for r in rowRange {
                let decodedRow = pagoda_decode_row(Int32(type.rawValue), base + r * rowBytes, Int32(blocks), codes, scales, mins) != 0
                precondition(decodedRow, "IntegerDot.types lists \(type), but the C kernels have no row decoder for it")
                for t in 0..<tokens {
                    y[t * yStride + r] = pagoda_dot_decoded(codes, scales, mins, a + t * blocks, Int32(blocks))
                }
            }
            return
        }
        for r in rowRange {
            let row = base + r * rowBytes
            for t in 0..<tokens {
                y[t * yStride + r] = IntegerDot.dot(type, row, a + t * blocks, blocks: blocks, simd: simd)
            }
        }
    }
}

extension QuantizedMatrix {
    /// Bytes of packed activations `multiplyPacked` reads for `tokens` tokens of this width.
    public static func packedActivationBytes(tokens: Int, columns: Int) -> Int {
        pagoda_panel_bytes(Int32(tokens), Int32(columns / 32))
    }

    /// Bytes of per-thread scratch `multiplyPacked` needs for rows of `columns` columns.
    public static func packedScratchBytes(columns: Int) -> Int {
        pagoda_gemm_scratch_bytes(Int32(columns / 32))
    }

    /// Packs `tokens` quantized activation vectors for `multiplyPacked`, once per product;
    /// `tiles`, if given, packs only those tiles of 8 tokens (threads can share the work).
    public static func packActivations(
        _ a: UnsafePointer<pagoda_q8_block>, tokens: Int, columns: Int, into panel: UnsafeMutableRawPointer, tiles: Range<Int>? = nil
    ) {
        let range = tiles ?? 0..<((tokens + 7) / 8)
        pagoda_pack_activation_tiles(a, Int32(tokens), Int32(columns / 32), Int32(range.lowerBound), Int32(range.upperBound), panel)
    }

    /// `y[t][r] = W[r] · a[t]` over `rowRange` with the AVX-512 VNNI kernel, or the AVX2 one
    /// (about half its integer throughput), for activations packed by `packActivations`. Rows
    /// are unpacked eight at a time into `scratch` (`packedScratchBytes`); each weight byte is
    /// then used by every token from registers. Requires `kernels.hasAVX2` (a set this CPU
    /// runs) and a type of `IntegerDot.types`: anything else is a programming error and stops
    /// with a message (never a product left uncomputed).
    public func multiplyPacked(
        _ panel: UnsafeRawPointer, tokens: Int, into y: UnsafeMutablePointer<Float>, yStride: Int, rowRange: Range<Int>,
        scratch: UnsafeMutableRawPointer, kernels: KernelSet = .current
    ) {
        guard !rowRange.isEmpty else { return }
        precondition(kernels.hasAVX2 && kernels <= .cpuBest && hasIntegerDot,
                     "the packed product needs the AVX2 or VNNI kernels and an integer-dot type, not \(kernels) and \(type)")
        let done = pagoda_gemm(Int32(type.rawValue), base, rowBytes, Int32(rowRange.lowerBound), Int32(rowRange.upperBound),
                               panel, Int32(tokens), Int32(columns / 32), y, yStride, scratch, kernels.hasVNNI ? 1 : 0) != 0
        precondition(done, "IntegerDot.types lists \(type), but the C kernels have no packed product for it")
    }
}

/// `Σ a[i] · b[i]` with four partial sums (lets the compiler vectorize).
@inline(__always)
func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
    var i = 0
    while i + 4 <= n {
        s0 += a[i] * b[i]
        s1 += a[i + 1] * b[i + 1]
        s2 += a[i + 2] * b[i + 2]
        s3 += a[i + 3] * b[i + 3]
        i += 4
    }
    while i < n {
        s0 += a[i] * b[i]
        i += 1
    }
    return (s0 + s1) + (s2 + s3)
}
