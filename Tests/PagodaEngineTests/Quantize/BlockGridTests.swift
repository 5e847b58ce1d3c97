import XCTest
@testable import PagodaEngine

/// The grid GPTQ rounds to is the dequantizer's: a block the reference quantizer wrote
/// has every element on its grid, and codes written with `store` read back as the grid's
/// values.
final class BlockGridTests: XCTestCase {
    func testGridsAreTheDequantizersValues() throws {
        for type in BlockGrid.types.sorted(by: { $0.name < $1.name }) {
            var grid = try XCTUnwrap(BlockGrid(type))
            let x = TestData.weights(type.blockSize, seed: 7).map { $0 + 0.05 }
            var block = try Quantization.quantize(type, x)
            let reference = try block.withUnsafeBytes { try Quantization.dequantize(type, $0, count: type.blockSize) }
            block.withUnsafeBytes { grid.load($0.baseAddress!) }
            for j in 0..<type.blockSize {
                let (_, value) = grid.nearest(reference[j], element: j)
                XCTAssertEqual(value, reference[j], accuracy: 1e-5 * max(1, abs(reference[j])), "\(type) element \(j) is on its grid")
            }
            // Random codes round-trip through the block's bytes.
            var rng = XorShift32(seed: 5)
            let codes = (0..<type.blockSize).map { _ in grid.codes.lowerBound + rng.nextInt(0..<(grid.codes.count)) }
            block.withUnsafeMutableBytes { grid.store(codes, into: $0.baseAddress!) }
            let read = try block.withUnsafeBytes { try Quantization.dequantize(type, $0, count: type.blockSize) }
            for j in 0..<type.blockSize {
                let expected = grid.offsets[j] + grid.steps[j] * Float(codes[j])
                XCTAssertEqual(read[j], expected, accuracy: 1e-5 * max(1, abs(expected)), "\(type) code \(codes[j]) at \(j)")
            }
        }
    }
}
