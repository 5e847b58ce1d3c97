import Foundation

/// Deterministic pseudo-random numbers (xorshift32), reproducible in any language: the
/// known-answer digests in the quant tests were made by llama.cpp's reference quantizers on
/// exactly these inputs.
public struct XorShift32: Sendable {
    public var state: UInt32

    public init(seed: UInt32) { state = seed == 0 ? 0x9E37_79B9 : seed }

    public mutating func next() -> UInt32 {
        state ^= state << 13
        state ^= state >> 17
        state ^= state << 5
        return state
    }

    /// Uniform in [-1, 1): the state as int32 over 2^31.
    public mutating func nextSigned() -> Float {
        Float(Int32(bitPattern: next())) / 2_147_483_648
    }

    public mutating func nextInt(_ range: Range<Int>) -> Int {
        range.lowerBound + Int(next() % UInt32(range.count))
    }
}

public enum TestData {
    /// `n` floats in [-1, 1) with outliers (every 37th value ×8) and a quiet stretch (every
    /// third run of 256 values ×0.01), so block scales vary. Never all zeros.
    public static func weights(_ n: Int, seed: UInt32) -> [Float] {
        var rng = XorShift32(seed: seed)
        return (0..<n).map { i in
            var u = rng.nextSigned()
            if i % 37 == 0 { u *= 8 }
            if (i / 256) % 3 == 1 { u *= 0.01 }
            return u
        }
    }

    /// FNV-1a, 64-bit, of `bytes`.
    public static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 14_695_981_039_346_656_037
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 1_099_511_628_211
        }
        return hash
    }

    /// A fresh empty folder under the system's temporary folder.
    public static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pagoda-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
