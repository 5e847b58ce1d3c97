import CKernels
import XCTest
@testable import PagodaEngine

/// The AVX2 kernels against their scalar Swift twins, and the twins against plain float math
/// on dequantized values, on random data of awkward sizes.
final class IntegerDotTests: XCTestCase {
    func activations(_ x: [Float], simd: Bool) -> [pagoda_q8_block] {
        var out = [pagoda_q8_block](repeating: pagoda_q8_block(), count: x.count / 32)
        x.withUnsafeBufferPointer { xs in
            out.withUnsafeMutableBufferPointer { IntegerDot.quantize(xs.baseAddress!, count: x.count, into: $0.baseAddress!, simd: simd) }
        }
        return out
    }

    func testActivationQuantizationIsIdenticalInBothVersions() throws {
        try XCTSkipUnless(KernelSet.current.hasAVX2, "this CPU has no AVX2/FMA/F16C: only the scalar versions run")
        let x = TestData.weights(32 * 37, seed: 5)
        let a = activations(x, simd: true), b = activations(x, simd: false)
        for (p, q) in zip(a, b) {
            XCTAssertEqual(p.d, q.d)
            XCTAssertEqual(p.s, q.s)
            XCTAssertTrue(withUnsafeBytes(of: p.qs) { pa in withUnsafeBytes(of: q.qs) { Array(pa) == Array($0) } })
        }
    }

    func testKernelsMatchTheirScalarTwinsAndFloatMath() throws {
        var rng = XorShift32(seed: 77)
        for type in IntegerDot.types.sorted(by: { $0.rawValue < $1.rawValue }) {
            for trial in 0..<6 {
                // Odd block counts: 7 × 32 or 3 × 256 columns, and a few more.
                let columns = type.blockSize == 256 ? 256 * (1 + 2 * (trial % 3)) : 32 * (7 + 4 * trial)
                let weights = TestData.weights(columns, seed: UInt32(1000 + trial))
                let row = try Quantization.quantize(type, weights)
                let x = (0..<columns).map { _ in rng.nextSigned() * 3 }
                let act = activations(x, simd: false)
                let scalar = row.withUnsafeBytes { w in act.withUnsafeBufferPointer { IntegerDot.dotScalar(type, w.baseAddress!, $0.baseAddress!, blocks: columns / 32) } }

                // Float reference on the dequantized weights and activations.
                let w = try row.withUnsafeBytes { try Quantization.dequantize(type, $0, count: columns) }
                var reference: Double = 0, magnitude: Double = 0
                for (i, wi) in w.enumerated() {
                    let block = act[i / 32]
                    let q = withUnsafeBytes(of: block.qs) { Int8(bitPattern: $0[i % 32]) }
                    reference += Double(wi) * Double(block.d) * Double(q)
                    magnitude += abs(Double(wi) * Double(block.d) * Double(q))
                }
                XCTAssertEqual(Double(scalar), reference, accuracy: 1e-4 * magnitude + 1e-6, "\(type) scalar twin vs float, \(columns) columns")

                // The AVX2 kernels, and the VNNI ones where the CPU has them.
                for vnni in KernelSet.current.hasAVX2 ? (KernelSet.current.hasVNNI ? [false, true] : [false]) : [] {
                    let simd = row.withUnsafeBytes { w in
                        act.withUnsafeBufferPointer { IntegerDot.dot(type, w.baseAddress!, $0.baseAddress!, blocks: columns / 32, simd: true, vnni: vnni) }
                    }
                    XCTAssertEqual(Double(simd), Double(scalar), accuracy: 1e-5 * magnitude + 1e-6,
                                   "\(type) \(vnni ? "VNNI" : "AVX2") vs scalar, \(columns) columns")
                }
            }
        }
    }

    func testHalfConversionsMatchFloat16() throws {
        try XCTSkipUnless(KernelSet.current.hasAVX2, "this CPU has no F16C: only Float16 conversion runs")
        let x = TestData.weights(1003, seed: 9).map { $0 * 100 }
        var halves = [UInt16](repeating: 0, count: x.count)
        pagoda_f32_to_f16(x, &halves, Int32(x.count))
        XCTAssertEqual(halves, x.map { Float16($0).bitPattern })
        var back = [Float](repeating: 0, count: x.count)
        pagoda_f16_to_f32(halves, &back, Int32(x.count))
        XCTAssertEqual(back, halves.map { Float(Float16(bitPattern: $0)) })
    }

    /// The prefill path: a row decoded once to 8-bit codes, then dotted with many tokens.
    func testDecodedRowsMatchTheScalarTwins() throws {
        try XCTSkipUnless(KernelSet.current.hasAVX2, "this CPU has no AVX2: the decoded path does not run")
        var rng = XorShift32(seed: 5150)
        for type in IntegerDot.types.sorted(by: { $0.rawValue < $1.rawValue }) {
            let columns = type.blockSize == 256 ? 768 : 224
            let row = try Quantization.quantize(type, TestData.weights(columns, seed: 42))
            var codes = [Int8](repeating: 0, count: columns)
            var scales = [Float](repeating: 0, count: columns / 16)
            var mins = [Float](repeating: 0, count: columns / 32)
            let ok = row.withUnsafeBytes { pagoda_decode_row(Int32(type.rawValue), $0.baseAddress!, Int32(columns / 32), &codes, &scales, &mins) }
            XCTAssertEqual(ok, 1, "\(type) has a decoder")
            for _ in 0..<4 {
                let act = activations((0..<columns).map { _ in rng.nextSigned() * 2 }, simd: false)
                let scalar = row.withUnsafeBytes { w in act.withUnsafeBufferPointer { IntegerDot.dotScalar(type, w.baseAddress!, $0.baseAddress!, blocks: columns / 32) } }
                let decoded = act.withUnsafeBufferPointer { pagoda_dot_decoded(codes, scales, mins, $0.baseAddress!, Int32(columns / 32)) }
                XCTAssertEqual(decoded, scalar, accuracy: 1e-4 * max(1, abs(scalar)), "\(type)")
            }
        }
    }
}
