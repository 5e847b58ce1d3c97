import CKernels

/// Reading and writing rows of a KV tile in the pool's element type.
enum KVRows {
    /// Stores `n` floats at element `index` of `base`.
    @inline(__always)
    static func store(_ x: UnsafePointer<Float>, n: Int, to base: UnsafeMutableRawPointer, index: Int, element: KVCacheLayout.Element) {
        switch element {
        case .f32:
            (base.assumingMemoryBound(to: Float.self) + index).update(from: x, count: n)
        case .f16:
            let out = base.assumingMemoryBound(to: UInt16.self) + index
            if IntegerDot.simdAvailable { return pagoda_f32_to_f16(x, out, Int32(n)) }
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
            if IntegerDot.simdAvailable { return pagoda_f16_to_f32(src, out, Int32(n)) }
            for i in 0..<n { out[i] = Float(Float16(bitPattern: src[i])) }
        }
    }
}
