import CKernels
import Foundation
import XCTest
@testable import PagodaEngine

/// The element-wise steps: the AVX2 versions against the plain Swift ones.
final class OpsTests: XCTestCase {
    func testSwiGLUKernelMatchesItsScalarTwin() throws {
        try XCTSkipUnless(KernelSet.current.hasAVX2, "this CPU has no AVX2: only the scalar SwiGLU runs")
        var rng = XorShift32(seed: 31)
        for n in [1, 7, 8, 29, 1536] {
            // Gates from −100 to 100, so both ends of e^−g (underflow, overflow) are hit.
            let gate = (0..<n).map { i in i % 9 == 0 ? Float(i % 2 == 0 ? 100 : -100) : rng.nextSigned() * 12 }
            let up = (0..<n).map { _ in rng.nextSigned() * 3 }
            var scalar = gate, simd = gate
            Ops.swiGLU(&scalar, up, n: n, simd: false)
            Ops.swiGLU(&simd, up, n: n, simd: true)
            for i in 0..<n {
                XCTAssertEqual(simd[i], scalar[i], accuracy: 1e-6 * max(1, abs(scalar[i])), "n \(n), gate \(gate[i])")
            }
        }
    }
}
