import Foundation
import XCTest
@testable import PagodaEngine

/// Gemma 3 270M (the real model, `pagoda pull gemma3-270m`) against llama.cpp's top tokens
/// (`Gemma3Reference`): the same most likely next token almost everywhere and log-
/// probabilities within a small gap, before and past the 512-token sliding window. On this
/// model llama.cpp's own f16 and f32 KV caches differ by a mean KL of 0.006, so the bounds
/// are loose by that much.
final class Gemma3RealModelTests: XCTestCase {
    func testLogitsMatchLlamaCppBeforeAndPastTheWindow() throws {
        var options = EngineOptions()
        options.kvTokens = 1024
        let engine = try Engine(file: RealModels.file(.gemma3), options: options)
        XCTAssertEqual(engine.facts.architecture, "gemma3")
        let wanted = Dictionary(uniqueKeysWithValues: Gemma3Reference.top.map { ($0.0, ($0.1, $0.2)) })
        var agree = 0
        var gaps: [(position: Int, gap: Double)] = []
        _ = try engine.logits(of: Gemma3Reference.ids) { position, row in
            guard let (ids, logProbs) = wanted[position] else { return }
            let m = row.max()!
            let logZ = Double(m) + log(row.reduce(0.0) { $0 + exp(Double($1 - m)) })
            if row.indices.max(by: { row[$0] < row[$1] }) == Int(ids[0]) { agree += 1 }
            gaps.append((position, abs(Double(row[Int(ids[0])]) - logZ - logProbs[0])))
        }
        XCTAssertEqual(gaps.count, 80)
        func mean(_ xs: [(position: Int, gap: Double)]) -> Double { xs.map(\.gap).reduce(0, +) / Double(xs.count) }
        let early = gaps.filter { $0.position < 512 }, late = gaps.filter { $0.position >= 512 }
        print("gemma3 vs llama.cpp: same top token at \(agree)/80 positions; |Δ log p| of its top token: mean \(mean(early)) before 512, \(mean(late)) from 512, max \(gaps.map(\.gap).max()!)")
        XCTAssertGreaterThanOrEqual(agree, 72)
        XCTAssertLessThanOrEqual(mean(early), 0.1)
        XCTAssertLessThanOrEqual(mean(late), 0.1, "past the window the sliding layers see only their last 512 keys")
        XCTAssertLessThanOrEqual(gaps.map(\.gap).max()!, 0.5)
    }

    /// The tokenizer (SentencePiece, 262k tokens, no space prefix) gives llama.cpp's ids.
    func testTokenizerMatchesLlamaCpp() throws {
        let tokenizer = try Tokenizer(metadata: RealModels.file(.gemma3).metadata)
        let text = tokenizer.decode(Array(Gemma3Reference.ids.dropFirst()))
        XCTAssertEqual(tokenizer.encode(text, addSpecial: true), Gemma3Reference.ids)
    }
}
