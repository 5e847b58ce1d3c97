import XCTest
@testable import PagodaEngine

/// The threads of a product claim chunks of rows as they go; whichever thread computes a
/// row, and however the rows fall into chunks, the logits are the ones a single thread gives
/// (to float rounding: attention splits its sums over the threads).
final class ProductRunnerTests: XCTestCase {
    func testChunksCoverEveryRowInWholeTiles() {
        for rows in [8, 64, 72, 896, 4864, 151_936] {
            for threads in [1, 2, 3, 8] {
                let size = ProductRunner.chunkRows(rows: rows, threads: threads)
                XCTAssertEqual(size % 8, 0, "rows \(rows), threads \(threads)")
                XCTAssertGreaterThanOrEqual(size, 64)
                // Enough chunks to even out the end of a large product.
                if rows >= 64 * 16 * threads { XCTAssertGreaterThanOrEqual((rows + size - 1) / size, 14 * threads) }
            }
        }
    }

    func testAnyThreadCountGivesTheLogitsOfOne() throws {
        // Feed-forward and output rows that make many chunks and a partial last one, on the
        // packed path (a prompt) and the mat-vec path (one token).
        var shape = TinyModel.Shape(feedForward: 992, vocabulary: 2100, tiedEmbeddings: false, outputType: .q8_0)
        shape.architecture = "qwen2"
        let file = try TinyModel.make(shape, seed: 21)
        var rng = XorShift32(seed: 4)
        let prompt = (0..<19).map { _ in TokenID(rng.nextInt(0..<shape.vocabulary)) }

        func logits(threads: Int) throws -> [[Float]] {
            var options = EngineOptions()
            options.threads = threads
            let model = try LanguageModel(file: file, options: options)
            var rows: [[Float]] = []
            let s = model.cache.createSequence()
            try model.transformer.evaluate(s, context: prompt) { _, row in rows.append(Array(row)) }
            try model.transformer.evaluate(s, context: prompt + [prompt[0]]) { _, row in rows.append(Array(row)) }
            return rows
        }

        let one = try logits(threads: 1)
        for threads in [2, 3] {
            let many = try logits(threads: threads)
            XCTAssertEqual(many.count, one.count)
            let worst = zip(many, one).map { zip($0, $1).map { abs($0 - $1) }.max()! }.max()!
            XCTAssertLessThanOrEqual(worst, 1e-4, "\(threads) threads")
        }
    }
}
