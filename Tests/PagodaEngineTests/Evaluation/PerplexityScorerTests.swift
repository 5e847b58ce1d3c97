import Foundation
import XCTest
@testable import PagodaEngine

/// Perplexity and KL divergence against hand computations on a made-up "model" whose
/// logits are known: a vocabulary of 4 where position p of a chunk gives logits
/// [p, 0, 1, 2] (so the scored targets' probabilities can be worked out by hand).
final class PerplexityScorerTests: XCTestCase {
    func testSecondHalfOfEachChunkIsScoredWithBOSAtTheStart() throws {
        // 10 tokens, chunks of 4: two chunks (the last 2 tokens are left out), positions 2
        // of each scored (first = 2, last scored = n - 2 = 2), predicting the token at 3.
        let tokens: [TokenID] = [0, 1, 2, 3, 1, 2, 3, 0, 1, 1]
        var chunks: [[TokenID]] = []
        let scorer = PerplexityScorer(contextTokens: 4, bos: 3)
        var targets: [TokenID] = []
        let result = try scorer.score(tokens, evaluate: { chunk, each in
            chunks.append(chunk)
            for p in 0..<chunk.count {
                let row: [Float] = [Float(p), 0, 1, 2]
                row.withUnsafeBufferPointer { each(p, $0) }
            }
        }, observe: { targets.append($0.target) })
        XCTAssertEqual(chunks, [[3, 1, 2, 3], [3, 2, 3, 0]], "each chunk starts with BOS in place of its first token")
        XCTAssertEqual(targets, [3, 0], "position 2 predicts the chunk's token 3")
        // Logits at position 2 are [2, 0, 1, 2]: p(3) = e²/(2e² + 1 + e), p(0) the same.
        let z = 2 * exp(2.0) + 1 + exp(1.0)
        let nll = -log(exp(2.0) / z)
        XCTAssertEqual(result.scoredTokens, 2)
        XCTAssertEqual(result.meanNLL, nll, accuracy: 1e-12)
        XCTAssertEqual(result.perplexity, z / exp(2.0), accuracy: 1e-9)
        XCTAssertEqual(result.perplexityError, 0, accuracy: 1e-12, "equal NLLs have no spread")
    }

    func testPerplexityErrorIsTheStandardErrorOfTheMeanTimesPPL() {
        var r = PerplexityScorer.Result()
        for nll in [1.0, 2.0, 3.0, 4.0] {
            r.sumNLL += nll
            r.sumNLLSquared += nll * nll
            r.scoredTokens += 1
        }
        // mean 2.5, population variance 1.25, standard error sqrt(1.25 / 3).
        XCTAssertEqual(r.perplexity, exp(2.5), accuracy: 1e-9)
        XCTAssertEqual(r.perplexityError, sqrt(1.25 / 3) * exp(2.5), accuracy: 1e-9)
    }

    func testATextShorterThanAChunkIsOneClearError() {
        XCTAssertThrowsError(try PerplexityScorer(contextTokens: 512).score([1, 2, 3], evaluate: { _, _ in })) { error in
            XCTAssertEqual(error as? PerplexityError, .textTooShort(tokens: 3, needed: 512))
        }
    }

    /// KL from a base to itself is 0 and the top token always agrees; to a known other
    /// distribution it is Σ p log(p/q), with the tail past the top K grouped.
    func testKLDivergenceAgainstHandComputation() throws {
        let base: [Float] = [3, 1, 0, -1, -2, -3]
        let other: [Float] = [1, 3, 0, -1, -2, -3]
        var file = KLBaseFile(header: .init(vocabulary: 6, context: 4, chunks: 1, topK: 2, tokens: 1, tokenHash: 7))
        base.withUnsafeBufferPointer { file.append(logits: $0, negativeLogLikelihood: 0.5) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pagoda-kl-\(UUID().uuidString)").path
        defer { unlink(path) }
        try file.write(to: path)
        let read = try KLBaseFile(path: path)
        XCTAssertEqual(read.header, file.header)
        XCTAssertEqual(read.ids, [0, 1])

        var same = KLDivergence(base: read)
        base.withUnsafeBufferPointer { same.add(index: 0, logits: $0, negativeLogLikelihood: 0.5) }
        XCTAssertEqual(same.summary.mean, 0, accuracy: 1e-6)
        XCTAssertEqual(same.summary.topAgreement, 1)

        var differs = KLDivergence(base: read)
        other.withUnsafeBufferPointer { differs.add(index: 0, logits: $0, negativeLogLikelihood: 2.5) }
        func softmax(_ x: [Float]) -> [Double] { let e = x.map { exp(Double($0)) }; let s = e.reduce(0, +); return e.map { $0 / s } }
        let p = softmax(base), q = softmax(other)
        let restP = 1 - p[0] - p[1], restQ = 1 - q[0] - q[1]
        let expected = p[0] * log(p[0] / q[0]) + p[1] * log(p[1] / q[1]) + restP * log(restP / restQ)
        XCTAssertEqual(differs.summary.mean, expected, accuracy: 1e-5)
        XCTAssertEqual(differs.summary.topAgreement, 0, "the other's top token is 1")
        XCTAssertEqual(differs.summary.perplexityRatio, exp(2.5) / exp(0.5), accuracy: 1e-4)
    }

    func testTopKPicksTheLargestInOrder() {
        let values: [Float] = [0.1, 5, -2, 3, 3.5, 9, 0]
        values.withUnsafeBufferPointer { XCTAssertEqual(KLBaseFile.top(3, of: $0), [5, 1, 4]) }
    }
}
