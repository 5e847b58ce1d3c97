import CKernels
import XCTest
@testable import PagodaEngine

/// A decode batch of up to `QuantizedMatrix.matvecBatchTokens` tokens runs the multi-token dot
/// (Q4_0, Q4_1, Q5_0; odd block counts reach its one-block tail) or the mat-vec kernel per
/// token on tiles of rows: each token's row of results is exactly what it gets alone, and
/// matches the scalar integer dot products, for every type, on row ranges that cut tiles.
final class SmallBatchProductTests: XCTestCase {
    func testEachTokenOfASmallBatchGetsItsSingleTokenResult() throws {
        try XCTSkipUnless(KernelSet.current.hasAVX2, "this CPU has no AVX2: products use the scalar path")
        for type in IntegerDot.types.sorted(by: { $0.rawValue < $1.rawValue }) {
            let columns = type.blockSize == 256 ? 768 : 416
            let rows = QuantizedMatrix.matvecTileRows * 2 + 5  // two whole tiles and part of a third
            let bytes = try PackedProductTests.matrix(type, rows: rows, columns: columns, seed: 700 + UInt32(type.rawValue))
            for tokens in 2...QuantizedMatrix.matvecBatchTokens {
                let act = PackedProductTests.quantized(tokens: tokens, columns: columns, seed: UInt32(tokens * 17))
                let stride = rows + 3
                var batched = [Float](repeating: .nan, count: tokens * stride)
                var alone = [Float](repeating: .nan, count: tokens * stride)
                try bytes.withUnsafeBytes { w in
                    let m = try QuantizedMatrix(name: "w", type: type, rows: rows, columns: columns, base: w.baseAddress!)
                    act.withUnsafeBufferPointer { a in
                        for range in [0..<7, 7..<rows] {
                            m.multiplyQuantized(a.baseAddress!, tokens: tokens, into: &batched, yStride: stride, rowRange: range)
                        }
                        for t in 0..<tokens {
                            alone.withUnsafeMutableBufferPointer { y in
                                m.multiplyQuantized(a.baseAddress! + t * columns / 32, tokens: 1, into: y.baseAddress! + t * stride, yStride: stride, rowRange: 0..<rows)
                            }
                        }
                    }
                }
                for t in 0..<tokens {
                    for r in 0..<rows {
                        XCTAssertEqual(batched[t * stride + r], alone[t * stride + r], "\(type) row \(r) token \(t) of \(tokens)")
                        let rowBytes = type.rowBytes(columns)!, blocks = columns / 32
                        let expected: Float = bytes.withUnsafeBytes { w in
                            act.withUnsafeBufferPointer { a in
                                IntegerDot.dotScalar(type, w.baseAddress! + r * rowBytes, a.baseAddress! + t * blocks, blocks: blocks)
                            }
                        }
                        let bound: Float = 2e-5 * max(1, abs(expected)) * Float(blocks)
                        XCTAssertEqual(batched[t * stride + r], expected, accuracy: bound, "\(type) against the scalar dot")
                    }
                    for r in rows..<stride { XCTAssertTrue(batched[t * stride + r].isNaN, "\(type) wrote past its rows") }
                }
            }
        }
    }
}
