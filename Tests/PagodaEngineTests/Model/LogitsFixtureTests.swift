import Foundation
import XCTest
@testable import PagodaEngine

/// Pagoda's logits on the default model against llama.cpp's, from
/// `../shared/fixtures/logits/` (see the README there for how they were made).
final class LogitsFixtureTests: XCTestCase {
    func testDefaultModelMatchesLlamaCpp() throws {
        let folder = try SharedFixtures.folder("logits", needs: "llama.cpp's reference logits smollm2-france.f32 (+ .json)")
        let json = folder.appendingPathComponent("smollm2-france.f32.json")
        let raw = folder.appendingPathComponent("smollm2-france.f32")
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as! [String: Any]
        let ids = (meta["ids"] as! [Int]).map { TokenID($0) }
        let vocabulary = meta["n_vocab"] as! Int
        let reference = try Data(contentsOf: raw).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        XCTAssertEqual(reference.count, ids.count * vocabulary)

        let model = try LanguageModel(file: RealModels.file(.smolLM2))
        var kls: [Double] = []
        var nearTies = 0
        try model.transformer.evaluate(model.cache.createSequence(), context: ids) { position, row in
            let ref = Array(reference[(position * vocabulary)..<((position + 1) * vocabulary)])
            kls.append(Self.kl(ref, Array(row)))
            let ours = row.indices.max { row[$0] < row[$1] }!
            let best = ref.max()!
            XCTAssertLessThanOrEqual(best - ref[ours], 0.5, "position \(position): our top token \(ours) is not near llama.cpp's best")
            if ref[ours] != best { nearTies += 1 }
        }
        let mean = kls.reduce(0, +) / Double(kls.count)
        print("logits vs llama.cpp: mean KL \(mean), max KL \(kls.max()!), top token differs at \(nearTies) of \(kls.count) (near ties)")
        XCTAssertEqual(kls.count, ids.count)
        XCTAssertLessThanOrEqual(mean, 1e-2)
        XCTAssertLessThanOrEqual(kls.max()!, 5e-2)
    }

    /// KL(p‖q) of the softmax distributions of two logit rows.
    static func kl(_ p: [Float], _ q: [Float]) -> Double {
        func logSoftmax(_ x: [Float]) -> [Double] {
            let m = Double(x.max()!)
            let z = x.reduce(0.0) { $0 + exp(Double($1) - m) }
            return x.map { Double($0) - m - log(z) }
        }
        let lp = logSoftmax(p), lq = logSoftmax(q)
        return zip(lp, lq).reduce(0.0) { $0 + exp($1.0) * ($1.0 - $1.1) }
    }
}
