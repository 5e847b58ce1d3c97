import XCTest
@testable import PagodaEngine

final class SamplerTests: XCTestCase {
    func sample(_ logits: [Float], _ p: SamplingParameters, history: [TokenID] = [], times: Int = 1) -> [TokenID] {
        var sampler = Sampler(p)
        return logits.withUnsafeBufferPointer { buffer in
            (0..<times).map { _ in sampler.sample(buffer, history: history[...]) }
        }
    }

    func testGreedyPicksTheLargestLogit() {
        XCTAssertEqual(sample([0.1, 2, -1, 1.9], .greedy), [1])
    }

    func testSameSeedSameTokensDifferentSeedDifferentTokens() {
        var rng = XorShift32(seed: 4)
        let logits = (0..<500).map { _ in rng.nextSigned() * 3 }
        var p = SamplingParameters()
        p.temperature = 1.5
        p.topK = 0
        p.topP = 1
        p.minP = 0
        let a = sample(logits, p, times: 50)
        XCTAssertEqual(a, sample(logits, p, times: 50))
        p.seed = 99
        XCTAssertNotEqual(a, sample(logits, p, times: 50))
    }

    func testTopKTopPAndMinPRestrictTheChoice() {
        let logits: [Float] = [5, 4.9, 4.8, 0, -1, -2, -3]
        var p = SamplingParameters()
        p.temperature = 5
        p.topK = 2
        p.topP = 1
        p.minP = 0
        XCTAssertTrue(Set(sample(logits, p, times: 200)).isSubset(of: [0, 1]))
        p.topK = 0
        p.topP = 0.5
        XCTAssertTrue(Set(sample(logits, p, times: 200)).isSubset(of: [0, 1]))
        p.topP = 1
        p.minP = 0.5
        let picked = Set(sample(logits, p, times: 300))
        XCTAssertTrue(picked.isSubset(of: [0, 1, 2]))
        XCTAssertEqual(picked.count, 3, "all three near-ties get picked at a high temperature")
    }

    func testRepeatPenaltyDiscouragesSeenTokens() {
        var p = SamplingParameters.greedy
        p.repeatPenalty = 2
        XCTAssertEqual(sample([3, 2, 1], p, history: [0]), [1], "3/2 = 1.5 < 2")
        p.repeatPenalty = 1
        p.presencePenalty = 0.5
        p.frequencyPenalty = 0.4
        XCTAssertEqual(sample([3, 2, 1], p, history: [0, 0]), [1], "3 − 0.5 − 0.8 = 1.7 < 2")
    }

    func testLargestKeepsTheTopKSorted() {
        var rng = XorShift32(seed: 8)
        let items = (0..<1000).map { (TokenID($0), rng.nextSigned()) }
        for k in [1, 10, 999, 1000] {
            var top: [(id: TokenID, logit: Float)] = items.map { (id: $0.0, logit: $0.1) }
            Sampler.keepLargest(k, of: &top)
            XCTAssertEqual(top.map(\.id), Array(items.sorted { $0.1 > $1.1 }.prefix(k).map(\.0)), "k = \(k)")
        }
    }
}
