import XCTest
@testable import PagodaEngine

/// Quantize → dequantize on random data stays within a per-format bound on the RMS error,
/// relative to the RMS of the input. The bounds are a little above what the formats reach
/// (4-bit ≈ 8–10%, 5-bit ≈ 4–5%, 6-bit ≈ 2%, 8-bit < 1%).
final class QuantRoundTripTests: XCTestCase {
    static let relativeRMSBounds: [(GGMLType, Float)] = [
        (.f32, 0), (.f16, 1e-3), (.bf16, 8e-3),
        (.q8_0, 0.01), (.q8_1, 0.01), (.q8_K, 0.01),
        (.q6_K, 0.03),
        (.q5_0, 0.06), (.q5_1, 0.06), (.q5_K, 0.06),
        (.q4_0, 0.12), (.q4_1, 0.12), (.q4_K, 0.12),
    ]

    func relativeRMSError(_ type: GGMLType, _ x: [Float]) throws -> Float {
        let q = try Quantization.quantize(type, x)
        let y = try q.withUnsafeBytes { try Quantization.dequantize(type, $0, count: x.count) }
        var err: Float = 0, ref: Float = 0
        for (a, b) in zip(x, y) {
            XCTAssertTrue(b.isFinite)
            err += (a - b) * (a - b)
            ref += a * a
        }
        return (err / ref).squareRoot()
    }

    func testErrorWithinBoundsOnGaussianLikeData() throws {
        var rng = XorShift32(seed: 7)
        // Sum of uniforms ≈ normal; 16 K-quant blocks.
        let x = (0..<4096).map { _ in (0..<4).reduce(Float(0)) { s, _ in s + rng.nextSigned() } }
        for (type, bound) in Self.relativeRMSBounds {
            let e = try relativeRMSError(type, x)
            XCTAssertLessThanOrEqual(e, bound, "\(type): relative RMS error \(e)")
        }
    }

    func testErrorWithinBoundsWithOutliers() throws {
        let x = TestData.weights(4096, seed: 99)
        for (type, bound) in Self.relativeRMSBounds {
            // Outliers ×8 widen every block's range: allow twice the bound for 4/5-bit formats.
            let e = try relativeRMSError(type, x)
            XCTAssertLessThanOrEqual(e, bound * 2, "\(type): relative RMS error \(e)")
        }
    }

    func testConstantAndZeroBlocksRoundTripExactly() throws {
        for type in [GGMLType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K, .q8_K] {
            let zeros = [Float](repeating: 0, count: 256)
            let q = try Quantization.quantize(type, zeros)
            let y = try q.withUnsafeBytes { try Quantization.dequantize(type, $0, count: 256) }
            XCTAssertEqual(y, zeros, "\(type)")
        }
    }

    func testDequantizeRejectsPartialBlocksAndShortBuffers() throws {
        let bytes = [UInt8](repeating: 0, count: 18)
        try bytes.withUnsafeBytes { raw in
            XCTAssertThrowsError(try Quantization.dequantize(.q4_0, raw, count: 31))
            XCTAssertThrowsError(try Quantization.dequantize(.q4_0, raw, count: 64))
            XCTAssertThrowsError(try Quantization.dequantize(.iq2_xxs, raw, count: 256))
        }
        XCTAssertThrowsError(try Quantization.quantize(.iq2_xxs, [Float](repeating: 1, count: 256)), "no quantizer for IQ2_XXS")
    }

    func testIQ4_NLDequantizesThroughItsTable() throws {
        var block = [UInt8](repeating: 0, count: 18)
        block[0] = 0x00; block[1] = 0x3C  // d = 1
        for j in 0..<16 { block[2 + j] = UInt8(j) | UInt8(15 - j) << 4 }
        let out = try block.withUnsafeBytes { try Quantization.dequantize(.iq4_nl, $0, count: 32) }
        XCTAssertEqual(out[0], -127)
        XCTAssertEqual(out[15], 113)
        XCTAssertEqual(out[16], 113)
    }
}
