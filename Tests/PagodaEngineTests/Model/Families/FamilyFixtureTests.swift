import Foundation
import XCTest
@testable import PagodaEngine

/// The families with llama.cpp reference logits in `../shared/fixtures/families/`: tiny
/// random-weight models, one per family feature (see the README there). Pagoda's logits
/// after every id must match llama.cpp's within the bounds the default model's fixture
/// uses (`LogitsFixtureTests`).
final class FamilyFixtureTests: XCTestCase {
    /// Mean and largest KL(llama.cpp ‖ Pagoda) over every position of the fixture `name`.
    func divergence(_ name: String) throws -> (mean: Double, max: Double, family: String) {
        let folder = try SharedFixtures.folder("families", needs: "\(name).gguf with llama.cpp's logits (\(name).f32, \(name).ids.json)")
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("\(name).ids.json"))) as! [String: Any]
        let ids = (meta["ids"] as! [Int]).map { TokenID($0) }
        let vocabulary = meta["n_vocab"] as! Int
        let reference = try Data(contentsOf: folder.appendingPathComponent("\(name).f32")).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        XCTAssertEqual(reference.count, ids.count * vocabulary)
        let engine = try Engine(path: folder.appendingPathComponent("\(name).gguf").path)
        var kls: [Double] = []
        _ = try engine.logits(of: ids) { position, row in
            kls.append(LogitsFixtureTests.kl(Array(reference[(position * vocabulary)..<((position + 1) * vocabulary)]), Array(row)))
        }
        XCTAssertEqual(kls.count, ids.count)
        let mean = kls.reduce(0, +) / Double(kls.count)
        print("\(name) (\(engine.facts.architecture)) vs llama.cpp: mean KL \(mean), max KL \(kls.max()!) over \(kls.count) positions")
        return (mean, kls.max()!, engine.facts.architecture)
    }

    /// Qwen3: per-head q/k RMSNorm before RoPE, a head size of its own, no biases, tied output.
    func testQwen3MatchesLlamaCpp() throws {
        let d = try divergence("qwen3-tiny")
        XCTAssertEqual(d.family, "qwen3")
        XCTAssertLessThanOrEqual(d.mean, 1e-4)
        XCTAssertLessThanOrEqual(d.max, 1e-3)
    }

    /// Llama 3: `rope_freqs` frequency factors, untied output.
    func testLlama3RopeScalingMatchesLlamaCpp() throws {
        let d = try divergence("llama3-tiny")
        XCTAssertEqual(d.family, "llama")
        XCTAssertLessThanOrEqual(d.mean, 1e-4)
        XCTAssertLessThanOrEqual(d.max, 1e-3)
    }
}
