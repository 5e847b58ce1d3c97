import Foundation
import XCTest
@testable import PagodaEngine

/// A perplexity run on the real small model: the perplexity is a sane number, a base saved
/// from a run measures that same model at KL 0 with full top-token agreement, and a base
/// from another run is refused.
final class PerplexityRunTests: XCTestCase {
    func testAModelAgainstItsOwnBaseHasNoDivergence() throws {
        var options = EngineOptions()
        options.kvTokens = 256
        let engine = try Engine(file: RealModels.file(.smolLM2), options: options)
        let text = String(repeating: "It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife. ", count: 12)
        let run = try PerplexityRun(engine: engine, text: text, contextTokens: 64, maxChunks: 2)
        XCTAssertEqual(run.chunkCount, 2)
        XCTAssertEqual(run.header.tokens, 2 * 31)
        var base: KLBaseFile? = KLBaseFile(header: run.header)
        var none: KLDivergence?
        let first = try run.run(saving: &base, divergence: &none)
        XCTAssertEqual(first.scoredTokens, 62)
        XCTAssertTrue(first.perplexity > 1 && first.perplexity < 50, "a repeated sentence is predictable: \(first.perplexity)")
        var noBase: KLBaseFile?
        var divergence: KLDivergence? = try run.divergence(from: XCTUnwrap(base))
        let second = try run.run(saving: &noBase, divergence: &divergence)
        XCTAssertEqual(second.perplexity, first.perplexity, accuracy: 1e-9, "the same model, the same numbers")
        let summary = try XCTUnwrap(divergence?.summary)
        XCTAssertEqual(summary.mean, 0, accuracy: 1e-6)
        XCTAssertEqual(summary.topAgreement, 1)
        XCTAssertEqual(summary.perplexityRatio, 1, accuracy: 1e-5)

        let other = try PerplexityRun(engine: engine, text: text, contextTokens: 32, maxChunks: 2)
        XCTAssertThrowsError(try other.divergence(from: XCTUnwrap(base))) { error in
            guard case PerplexityError.baseMismatch = error else { return XCTFail("\(error)") }
        }
    }
}
