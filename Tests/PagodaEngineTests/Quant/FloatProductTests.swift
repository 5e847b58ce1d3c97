import XCTest
@testable import PagodaEngine

/// The float matrix path (F32, F16 and BF16 weights, as in a reference copy) with FMA
/// against its plain twin, on random weights and odd widths.
final class FloatProductTests: XCTestCase {
    func testFMAProductsMatchThePlainLoop() throws {
        try XCTSkipUnless(KernelSet.current.hasAVX2, "this CPU has no AVX2: only the plain loop runs")
        for type in [GGMLType.f32, .f16, .bf16] {
            let rows = 13, columns = 203, tokens = 5
            var weights: [UInt8] = []
            for r in 0..<rows { weights += try Quantization.quantize(type, TestData.weights(columns, seed: 40 + UInt32(r))) }
            var rng = XorShift32(seed: 9)
            let x = (0..<(tokens * columns)).map { _ in rng.nextSigned() }
            try weights.withUnsafeBytes { w in
                let m = try QuantizedMatrix(name: "w", type: type, rows: rows, columns: columns, base: w.baseAddress!)
                var fast = [Float](repeating: 0, count: tokens * rows), plain = fast
                var scratch = [Float](repeating: 0, count: columns)
                m.multiply(x, tokens: tokens, into: &fast, yStride: rows, scratch: &scratch, simd: true)
                m.multiply(x, tokens: tokens, into: &plain, yStride: rows, scratch: &scratch, simd: false)
                XCTAssertFalse(plain.allSatisfy { $0 == 0 })
                for i in plain.indices { XCTAssertEqual(fast[i], plain[i], accuracy: 1e-4 * max(1, abs(plain[i])), "\(type) [\(i)]") }
            }
        }
    }
}
