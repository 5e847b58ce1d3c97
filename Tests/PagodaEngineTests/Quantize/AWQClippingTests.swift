import XCTest
@testable import PagodaEngine

/// AWQ's clipping step: the block Gram matrices give each block's output error exactly,
/// and the chosen clip is never worse than none on 32-blocks, and better at 4 and 5 bits
/// where the weights have outliers.
final class AWQClippingTests: XCTestCase {
    /// Inputs with a few strong channels, as activations have (tokens × columns).
    func inputs(tokens: Int, columns: Int, seed: UInt32) -> [Float] {
        var rng = XorShift32(seed: seed)
        return (0..<(tokens * columns)).map { i in rng.nextSigned() * (i % columns % 7 == 0 ? 4 : 1) }
    }

    /// Heavy-tailed weights: cubes of uniform numbers, so most blocks hold an outlier.
    func weights(_ n: Int, seed: UInt32) -> [Float] {
        var rng = XorShift32(seed: seed)
        return (0..<n).map { _ in let u = rng.nextSigned(); return u * u * u + 0.05 * rng.nextSigned() }
    }

    /// Σ over tokens of (x_t,block · δ_block)², divided by the token count, per row and block.
    func directErrors(_ x: [Float], _ w: [Float], _ q: [Float], rows: Int, span: Int) -> [Double] {
        let columns = w.count / rows, tokens = x.count / columns, blocks = columns / span
        var out = [Double](repeating: 0, count: rows * blocks)
        for r in 0..<rows { for b in 0..<blocks {
            var total = 0.0
            for t in 0..<tokens {
                var e = 0.0
                for j in (b * span)..<((b + 1) * span) { e += Double(x[t * columns + j]) * Double(w[r * columns + j] - q[r * columns + j]) }
                total += e * e
            }
            out[r * blocks + b] = total / Double(tokens)
        } }
        return out
    }

    func testBlockErrorsFromGramMatricesEqualTheDirectSums() throws {
        let pool = ThreadPool(threads: 2)
        for (type, columns) in [(GGMLType.q4_1, 96), (.q4_K, 512)] {
            let rows = 13, span = type.blockSize
            let x = inputs(tokens: 70, columns: columns, seed: 3), w = weights(rows * columns, seed: 4)
            let bytes = try ModelQuantizer.quantizeRows(w, rowLength: columns, to: type, tensor: "t", pool: pool)
            let q = try bytes.withUnsafeBytes { try Quantization.dequantize(type, $0, count: w.count) }
            let grams = AWQLayers.blockGrams(x, columns: columns, span: span, pool: pool)
            let fast = AWQLayers.blockErrors(w, q, rows: rows, span: span, grams: grams, pool: pool)
            let direct = directErrors(x, w, q, rows: rows, span: span)
            XCTAssertGreaterThan(direct.min()!, 0, "\(type): every block has an error")
            for (a, b) in zip(fast, direct) { XCTAssertEqual(a, b, accuracy: 1e-4 * b, "\(type)") }
        }
    }

    func testClippingLowersTheOutputErrorOfHeavyTailedWeights() throws {
        let pool = ThreadPool(threads: 2)
        let rows = 16, columns = 256
        let x = inputs(tokens: 200, columns: columns, seed: 8)
        for type in [GGMLType.q4_0, .q4_1, .q5_1, .q8_0, .q4_K] {
            let w = weights(rows * columns, seed: 9)
            func error(_ source: [Float]) throws -> Double {
                let bytes = try ModelQuantizer.quantizeRows(source, rowLength: columns, to: type, tensor: "t", pool: pool)
                let q = try bytes.withUnsafeBytes { try Quantization.dequantize(type, $0, count: w.count) }
                return directErrors(x, w, q, rows: rows, span: type.blockSize).reduce(0, +)
            }
            var clipped = w
            try AWQLayers.clip(&clipped, rows: rows, input: x, type: type, grid: 20, pool: pool)
            let before = try error(w), after = try error(clipped)
            if type == .q8_0 {
                // 255 levels leave clipping little to gain; it must still never lose.
                XCTAssertLessThanOrEqual(after, before, "\(type): clipped \(after) against \(before) unclipped")
            } else {
                XCTAssertTrue(clipped != w, "\(type): some block was clipped")
                XCTAssertLessThan(after, 0.97 * before, "\(type): clipped \(after) against \(before) unclipped")
            }
        }
    }
}
