import CKernels
import XCTest
@testable import PagodaEngine

/// The packed product (`QuantizedMatrix.multiplyPacked`: prefill and decode batches), with
/// the AVX-512 VNNI kernel and the AVX2 one, against the scalar integer dot products, for
/// every type, on tile-unfriendly shapes.
///
/// The random weights use each format's whole code range, Q8_0's included (its AVX2 tile
/// takes |q| · sign: a saturating vpmaddubsw would show here).
final class PackedProductTests: XCTestCase {
    /// A `rows × columns` matrix of `type` built from random weights, row after row.
    static func matrix(_ type: GGMLType, rows: Int, columns: Int, seed: UInt32) throws -> [UInt8] {
        var bytes: [UInt8] = []
        for r in 0..<rows {
            bytes += try Quantization.quantize(type, TestData.weights(columns, seed: seed &+ UInt32(r)))
        }
        return bytes
    }

    static func quantized(tokens: Int, columns: Int, seed: UInt32) -> [pagoda_q8_block] {
        var rng = XorShift32(seed: seed)
        let x = (0..<(tokens * columns)).map { _ in rng.nextSigned() * 2 }
        var out = [pagoda_q8_block](repeating: pagoda_q8_block(), count: x.count / 32)
        x.withUnsafeBufferPointer { xs in
            out.withUnsafeMutableBufferPointer { IntegerDot.quantize(xs.baseAddress!, count: x.count, into: $0.baseAddress!, simd: false) }
        }
        return out
    }

    func testPackedProductsMatchTheScalarDotProducts() throws {
        let sets = KernelSet.runnable.filter(\.hasAVX2)
        try XCTSkipIf(sets.isEmpty, "this CPU has neither AVX2 nor AVX-512 VNNI: products run on the scalar path")
        for kernels in sets {
            try checkPackedProducts(kernels)
        }
    }

    func checkPackedProducts(_ kernels: KernelSet) throws {
        for type in IntegerDot.types.sorted(by: { $0.rawValue < $1.rawValue }) {
            let columns = type.blockSize == 256 ? 768 : 416
            let rows = 21  // two full tiles of 8 and a partial one
            let bytes = try Self.matrix(type, rows: rows, columns: columns, seed: 300 + UInt32(type.rawValue))
            for tokens in [2, 7, 8, 13] {
                let act = Self.quantized(tokens: tokens, columns: columns, seed: UInt32(tokens * 31))
                // Rows in two ranges, the second not starting on a tile boundary.
                for ranges in [[0..<rows], [0..<5, 5..<rows]] {
                    let stride = rows + 3
                    var y = [Float](repeating: .nan, count: tokens * stride)
                    try bytes.withUnsafeBytes { w in
                        let m = try QuantizedMatrix(name: "w", type: type, rows: rows, columns: columns, base: w.baseAddress!)
                        let panel = UnsafeMutableRawPointer.allocate(byteCount: QuantizedMatrix.packedActivationBytes(tokens: tokens, columns: columns), alignment: 64)
                        let scratch = UnsafeMutableRawPointer.allocate(byteCount: QuantizedMatrix.packedScratchBytes(columns: columns), alignment: 64)
                        defer { panel.deallocate(); scratch.deallocate() }
                        act.withUnsafeBufferPointer { QuantizedMatrix.packActivations($0.baseAddress!, tokens: tokens, columns: columns, into: panel) }
                        for range in ranges {
                            m.multiplyPacked(panel, tokens: tokens, into: &y, yStride: stride, rowRange: range, scratch: scratch, kernels: kernels)
                        }
                    }
                    for t in 0..<tokens {
                        for r in 0..<rows {
                            let expected = bytes.withUnsafeBytes { w in
                                act.withUnsafeBufferPointer {
                                    IntegerDot.dotScalar(type, w.baseAddress! + r * type.rowBytes(columns)!, $0.baseAddress! + t * columns / 32, blocks: columns / 32)
                                }
                            }
                            XCTAssertEqual(y[t * stride + r], expected, accuracy: 2e-5 * max(1, abs(expected)) * Float(columns / 32),
                                           "\(kernels): \(type) row \(r) token \(t) of \(tokens)")
                        }
                        for r in rows..<stride { XCTAssertTrue(y[t * stride + r].isNaN, "\(type) wrote past its rows") }
                    }
                }
            }
        }
    }

    func testUnpackedRowsDequantizeToTheSameWeights() throws {
        try XCTSkipUnless(KernelSet.cpuBest.hasAVX2, "this CPU has no AVX2: products run on the scalar path")
        // With every activation 1 (d = 1, q = 1), Σ of w over 16 columns = scale · Σ code +
        // offset · 16: check the unpacked form against the dequantized weights.
        for type in IntegerDot.types.sorted(by: { $0.rawValue < $1.rawValue }) {
            let columns = type.blockSize == 256 ? 512 : 160
            let row = try Quantization.quantize(type, TestData.weights(columns, seed: 99))
            let w = try row.withUnsafeBytes { try Quantization.dequantize(type, $0, count: columns) }
            var codes = [UInt8](repeating: 0, count: columns)
            var scales = [Float](repeating: 0, count: columns / 16)
            var offsets = [Float](repeating: 0, count: columns / 16)
            let ok = row.withUnsafeBytes { pagoda_unpack_row(Int32(type.rawValue), $0.baseAddress!, Int32(columns / 32), &codes, &scales, &offsets) }
            XCTAssertEqual(ok, 1)
            for g in 0..<(columns / 16) {
                let codesSum = (0..<16).map { Float(codes[16 * g + $0]) }.reduce(0, +)
                let unpacked = scales[g] * codesSum + offsets[g] * 16
                let reference = (0..<16).map { w[16 * g + $0] }.reduce(0, +)
                XCTAssertEqual(unpacked, reference, accuracy: 1e-3 * max(1, abs(reference)), "\(type) group \(g)")
            }
        }
    }
}
