import Foundation
import XCTest
@testable import PagodaEngine

/// GPTQ on a small random layer whose inputs are correlated (as real activations are):
/// its output error on those inputs is lower than round-to-nearest's, on each type's grid.
final class GPTQTests: XCTestCase {
    func testGPTQBeatsRoundToNearestOnCorrelatedInputs() throws {
        let rows = 24, columns = 512, samples = 1024
        var rng = XorShift32(seed: 11)
        // Inputs: a few strong directions mixed into every column, plus noise.
        let mixing = (0..<(columns * 8)).map { _ in rng.nextSigned() }
        var X = [Double](repeating: 0, count: columns * samples)  // columns × samples
        for s in 0..<samples {
            let z = (0..<8).map { _ in Double(rng.nextSigned()) * 3 }
            for c in 0..<columns {
                var v = Double(rng.nextSigned()) * 0.3
                for k in 0..<8 { v += Double(mixing[c * 8 + k]) * z[k] }
                X[c * samples + s] = v
            }
        }
        var H = [Double](repeating: 0, count: columns * columns)
        for i in 0..<columns { for j in 0..<columns {
            var s = 0.0
            for t in 0..<samples { s += X[i * samples + t] * X[j * samples + t] }
            H[i * columns + j] = 2 * s
        } }
        let W = TestData.weights(rows * columns, seed: 5)

        func outputError(_ bytes: [UInt8], _ type: GGMLType) throws -> Double {
            let Wq = try Quantization.dequantize(type, bytes.withUnsafeBytes { $0 }, count: rows * columns)
            var total = 0.0
            for r in 0..<rows { for t in 0..<samples {
                var e = 0.0
                for c in 0..<columns { e += Double(W[r * columns + c] - Wq[r * columns + c]) * X[c * samples + t] }
                total += e * e
            } }
            return total
        }
        for type in [GGMLType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K] {
            let rtn = try outputError(try Quantization.quantize(type, W), type)
            for actOrder in [false, true] {
                var gptq = GPTQ()
                gptq.actOrder = actOrder
                let bytes = try gptq.quantize(weights: W, rows: rows, columns: columns, hessian: H, type: type, pool: ThreadPool(threads: 2))
                let error = try outputError(bytes, type)
                XCTAssertLessThan(error, rtn * 0.8, "\(type) act-order \(actOrder): GPTQ \(error) vs RTN \(rtn)")
                print("GPTQ \(type)\(actOrder ? " act-order" : ""): output error \(String(format: "%.4g", error)) vs RTN "
                      + "\(String(format: "%.4g", rtn)) (\(String(format: "%.0f", 100 * (1 - error / rtn)))% lower)")
            }
        }
    }

    func testTheInverseFactorReconstructsTheInverse() throws {
        let n = 37
        var rng = XorShift32(seed: 3)
        let A = (0..<(n * n)).map { _ in Double(rng.nextSigned()) }
        var H = [Double](repeating: 0, count: n * n)  // AᵀA + I: symmetric positive definite
        for i in 0..<n { for j in 0..<n { for k in 0..<n { H[i * n + j] += A[k * n + i] * A[k * n + j] } } }
        for i in 0..<n { H[i * n + i] += 1 }
        let U = try Cholesky.upperFactorOfInverse(H, n: n, pool: ThreadPool(threads: 2))
        // (UᵀU)·H = I.
        for i in 0..<n { for j in 0..<n {
            var s = 0.0
            for k in 0..<n {
                var inv = 0.0
                for m in 0..<n { inv += U[m * n + i] * U[m * n + k] }
                s += inv * H[k * n + j]
            }
            XCTAssertEqual(s, i == j ? 1 : 0, accuracy: 1e-9)
        } }
        for r in 1..<n { for c in 0..<r { XCTAssertEqual(U[r * n + c], 0, "upper triangular") } }
        XCTAssertThrowsError(try Cholesky.lower([1, 2, 2, 1], n: 2), "not positive definite")
    }
}
