import XCTest
@testable import PagodaEngine

/// The benchmark's bookkeeping (its speed is not asserted: that is what it measures).
final class BenchmarkTests: XCTestCase {
    func testResultsAreOrderedAndTheCacheIsLeftEmpty() throws {
        let engine = try Engine(file: RealModels.file(.smolLM2))
        let (pp, tg) = try Benchmark(engine: engine).run(promptTokens: 20, generateTokens: 5, repetitions: 3)
        XCTAssertEqual(pp.tokens, 20)
        XCTAssertEqual(tg.tokens, 5)
        for r in [pp, tg] {
            XCTAssertGreaterThan(r.min, 0)
            XCTAssertLessThanOrEqual(r.min, r.median)
            XCTAssertLessThanOrEqual(r.median, r.max)
        }
        XCTAssertEqual(engine.kvSnapshot().usedBlocks, 0, "every benchmark sequence is released")
    }

    /// `--bandwidth` divides by the bytes one decoded token streams: every matrix once, the
    /// embedding table only when it is also the output matrix (tied), as in SmolLM2.
    func testDecodeBytesPerTokenCountEveryMatrixOnce() throws {
        for known in [KnownModel.smolLM2, .qwenCoder] {
            let model = try LanguageModel(file: RealModels.file(known))
            let matrices = model.file.tensors.filter { $0.shape.count == 2 }
            let tied = !matrices.contains { $0.name == "output.weight" }
            let embedding = matrices.first { $0.name == "token_embd.weight" }!.byteCount
            let expected = matrices.reduce(0) { $0 + $1.byteCount } - (tied ? 0 : embedding)
            XCTAssertEqual(model.weights.matrixBytes, expected, "\(known)")
        }
        // The Qwen figure quoted with the benchmark: 391.6 MB of its 485.5 MB of tensors.
        let qwen = try LanguageModel(file: RealModels.file(.qwenCoder))
        XCTAssertEqual(Double(qwen.weights.matrixBytes) / 1e6, 391.6, accuracy: 0.1)
    }
}
