import XCTest
@testable import PagodaEngine

/// The AVX2 float product and double dot against their scalar twins on random inputs of
/// sizes that leave partial tiles and blocks on every edge.
final class DenseProductsTests: XCTestCase {
    let pool = ThreadPool(threads: 2)

    func testMatrixProductMatchesTheScalarLoops() throws {
        try XCTSkipUnless(KernelSet.current.hasAVX2, "needs AVX2 for the kernel side of the comparison")
        // Partial tiles on every edge; and rows past two blocks of 96 per thread.
        for (m, n, k) in [(13, 37, 300), (400, 21, 40)] {
            let a = TestData.weights(m * k, seed: 3), b = TestData.weights(k * n, seed: 4), c0 = TestData.weights(m * n, seed: 5)
            func product(simd: Bool) -> [Float] {
                var c = c0
                a.withUnsafeBufferPointer { ap in
                    b.withUnsafeBufferPointer { bp in
                        c.withUnsafeMutableBufferPointer { cp in
                            DenseProducts.multiplyAdd(m: m, n: n, k: k, a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: n,
                                                      c: cp.baseAddress!, ldc: n, alpha: -0.5, pool: pool, simd: simd)
                        }
                    }
                }
                return c
            }
            let fast = product(simd: true), slow = product(simd: false)
            for i in 0..<(m * n) {
                var exact = Double(c0[i])
                for p in 0..<k { exact -= 0.5 * Double(a[i / n * k + p]) * Double(b[p * n + i % n]) }
                XCTAssertEqual(Double(fast[i]), exact, accuracy: 1e-3 * max(1, abs(exact)), "kernel, element \(i)")
                XCTAssertEqual(Double(slow[i]), exact, accuracy: 1e-3 * max(1, abs(exact)), "scalar, element \(i)")
            }
        }
    }

    func testGramMatrixIsSymmetricAndExact() throws {
        let rows = 700, columns = 45
        let x = TestData.weights(rows * columns, seed: 9)
        for simd in [true, false] where simd == false || KernelSet.current.hasAVX2 {
            var g = [Float](repeating: 0, count: columns * columns)
            x.withUnsafeBufferPointer { xp in
                g.withUnsafeMutableBufferPointer { DenseProducts.addGram(xp.baseAddress!, rows: rows, columns: columns, into: $0.baseAddress!, pool: pool, simd: simd) }
            }
            for i in 0..<columns { for j in 0..<columns {
                var exact = 0.0
                for t in 0..<rows { exact += Double(x[t * columns + i]) * Double(x[t * columns + j]) }
                XCTAssertEqual(Double(g[i * columns + j]), exact, accuracy: 1e-3 * max(1, abs(exact)), "simd \(simd): G[\(i)][\(j)]")
            } }
        }
    }

    func testDoubleDotMatchesTheScalarSum() throws {
        try XCTSkipUnless(KernelSet.current.hasAVX2, "needs AVX2 for the kernel side of the comparison")
        for n in [0, 3, 17, 64, 1001] {
            let a = TestData.weights(n, seed: 1).map(Double.init), b = TestData.weights(n, seed: 2).map(Double.init)
            let fast = DenseProducts.dot(a, b, n, simd: true), slow = DenseProducts.dot(a, b, n, simd: false)
            XCTAssertEqual(fast, slow, accuracy: 1e-12 * max(1, abs(slow)), "n = \(n)")
        }
    }
}
