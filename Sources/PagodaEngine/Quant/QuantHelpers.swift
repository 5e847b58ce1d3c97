/// Small shared pieces of the reference quantizers, each matching its GGML counterpart.

/// IEEE half → float.
@inline(__always) func halfToFloat(_ bits: UInt16) -> Float {
    Float(Float16(bitPattern: bits))
}

/// Float → IEEE half, rounding to nearest even (as F16C's `vcvtps2ph` with mode 0).
@inline(__always) func floatToHalf(_ x: Float) -> UInt16 {
    Float16(x).bitPattern
}

/// Round to nearest, ties to even, for |x| < 2^22 (GGML's `nearest_int` float trick).
@inline(__always) func nearestInt(_ x: Float) -> Int32 {
    let shifted = x + 12_582_912  // 1.5 × 2^23
    return Int32(bitPattern: shifted.bitPattern & 0x007F_FFFF) - 0x0040_0000
}

/// C's `(int8_t)f` for the small positive or negative values the Q4/Q5 quantizers produce:
/// truncation toward zero.
/// Out-of-range and non-finite inputs (undefined in C) clamp to the int8 range or give 0.
@inline(__always) func truncatingToInt8(_ x: Float) -> Int {
    guard x.isFinite else { return 0 }
    let t = x.rounded(.towardZero)
    return t >= 127 ? 127 : t <= -128 ? -128 : Int(t)
}

/// GGML's `GROUP_MAX_EPS`: a group whose largest magnitude is below this is all zero.
let groupMaxEpsilon: Float = 1e-15

extension UnsafeRawPointer {
    @inline(__always) func half(at offset: Int) -> Float {
        halfToFloat(loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always) func byte(at offset: Int) -> UInt8 {
        load(fromByteOffset: offset, as: UInt8.self)
    }
}

extension UnsafeMutableRawPointer {
    @inline(__always) func storeHalf(_ x: Float, at offset: Int) {
        storeBytes(of: floatToHalf(x), toByteOffset: offset, as: UInt16.self)
    }

    @inline(__always) func storeByte(_ b: UInt8, at offset: Int) {
        storeBytes(of: b, toByteOffset: offset, as: UInt8.self)
    }
}
