import Foundation
import XCTest
@testable import PagodaEngine

/// A Mistral-style llama file (`llama.attention.sliding_window`, no llama.cpp fixture): a
/// self-check. With window W every layer sees its last W positions, and RoPE makes scores
/// depend only on the distance between positions, so the logits after token p of a 2-layer
/// model are those of a fresh run over tokens p − 2(W − 1)…p (that run's last position sees
/// exactly the same keys, shifted). They differ from the same weights without a window.
final class SlidingWindowModelTests: XCTestCase {
    func engine(window: Int?) throws -> Engine {
        var options = EngineOptions()
        options.kvTokens = 256
        options.quantizedActivations = false  // exact products and an f32 cache: the two runs differ only in float rounding
        options.kvElement = .f32
        let overrides: [String: GGUFValue] = window.map { ["llama.attention.sliding_window": .uint32(UInt32($0))] } ?? [:]
        return try Engine(file: TinyModel.make(overrides: overrides), options: options)
    }

    func testLogitsDependOnlyOnTheWindowsTheLayersSee() throws {
        let window = 9, layers = 2
        let slid = try engine(window: window), full = try engine(window: nil)
        XCTAssertEqual(slid.facts.architecture, "llama")
        var rng = XorShift32(seed: 77)
        let ids = (0..<60).map { _ in TokenID(rng.nextInt(0..<80)) }
        var rows: [[Float]] = []
        _ = try slid.logits(of: ids) { _, row in rows.append(Array(row)) }
        let reach = layers * (window - 1)
        for p in [reach, reach + 1, 40, 59] {
            let fresh = try slid.logits(of: Array(ids[(p - reach)...p]))
            let worst = zip(fresh, rows[p]).map { abs($0 - $1) }.max()!
            XCTAssertLessThanOrEqual(worst, 1e-3, "position \(p): a run over its window's reach gives the same logits")
        }
        let whole = try full.logits(of: ids)
        XCTAssertGreaterThan(zip(whole, rows[59]).map { abs($0 - $1) }.max()!, 1e-2, "without the window the far tokens count")
        // Inside the first window, nothing is cut: the same as the full model.
        let early = try full.logits(of: Array(ids.prefix(window)))
        XCTAssertLessThanOrEqual(zip(early, rows[window - 1]).map { abs($0 - $1) }.max()!, 1e-4)
    }

    func testAWindowKeyThatIsNegativeIsRefused() {
        XCTAssertThrowsError(try TinyModel.make(overrides: ["llama.attention.sliding_window": .int32(-4)]).metadata
                             .withConfig()) { error in
            XCTAssertTrue("\(error)".contains("sliding_window"), "\(error)")
        }
    }
}

private extension GGUFMetadata {
    func withConfig() throws -> ModelConfig { try ModelConfig(metadata: self) }
}
