import CKernels

/// Reading and writing rows of a KV tile in the pool's element type: value rows are
/// contiguous, keys are columns of a dimension-major tile (see `KVCacheLayout`).
enum KVRows {
    /// Stores `n` floats as token `row` of the key tile at element `tile` of `base`.
    @inline(__always)
    static func storeKey(_ x: UnsafePointer<Float>, n: Int, to base: UnsafeMutableRawPointer, tile: Int, row: Int,
                         blockTokens: Int, element: KVCacheLayout.Element, simd: Bool = KernelSet.current.hasAVX2) {
        let start = base + (tile + row) * element.bytes
        if simd { return pagoda_store_key(x, Int32(n), start, Int32(blockTokens), element == .f16 ? 1 : 0) }
        switch element {
        case .f32:
            let out = start.assumingMemoryBound(to: Float.self)
            for i in 0..<n { out[i * blockTokens] = x[i] }
        case .f16:
            let out = start.assumingMemoryBound(to: UInt16.self)
            for i in 0..<n { out[i * blockTokens] = Float16(x[i]).bitPattern }
        }
    }

    /// Loads key `row` (`n` elements) of the key tile at element `tile` of `base` as floats.
    static func loadKey(_ base: UnsafeRawPointer, tile: Int, row: Int, n: Int, blockTokens: Int, element: KVCacheLayout.Element,
                        into out: UnsafeMutablePointer<Float>) {
        for i in 0..<n { load(base, index: tile + i * blockTokens + row, n: 1, element: element, into: out + i) }
    }

    /// Stores `n` floats at element `index` of `base`.
    @inline(__always)
    static func store(_ x: UnsafePointer<Float>, n: Int, to base: UnsafeMutableRawPointer, index: Int, element: KVCacheLayout.Element) {
        switch element {
        case .f32:
            (base.assumingMemoryBound(to: Float.self) + index).update(from: x, count: n)
        case .f16:
            let out = base.assumingMemoryBound(to: UInt16.self) + index
            if KernelSet.current.hasAVX2 { return pagoda_f32_to_f16(x, out, Int32(n)) }
            for i in 0..<n { out[i] = Float16(x[i]).bitPattern }
        }
    }

    /// Loads `n` elements at element `index` of `base` as floats.
    @inline(__always)
    static func load(_ base: UnsafeRawPointer, index: Int, n: Int, element: KVCacheLayout.Element, into out: UnsafeMutablePointer<Float>) {
        switch element {
        case .f32:
            out.update(from: base.assumingMemoryBound(to: Float.self) + index, count: n)
        case .f16:
            let src = base.assumingMemoryBound(to: UInt16.self) + index
            if KernelSet.current.hasAVX2 { return pagoda_f16_to_f32(src, out, Int32(n)) }
            for i in 0..<n { out[i] = Float(Float16(bitPattern: src[i])) }
        }
    }
}
