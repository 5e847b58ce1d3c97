import XCTest
@testable import PagodaEngine

/// A batched forward pass (several sequences' tokens through the layers together) gives each
/// sequence the logits it gets alone, within float rounding, on both architectures, with a
/// sliding window, and on the default 8-bit-activation path; slots are taken all or none.
final class BatchedForwardTests: XCTestCase {
    func model(_ file: GGUFFile, exact: Bool, blocks: Int = 64) throws -> LanguageModel {
        var o = EngineOptions()
        o.blockTokens = 4
        o.kvElement = .f32
        o.quantizedActivations = !exact
        o.kvBudgetBytes = blocks * KVCacheLayout(config: try ModelConfig(metadata: file.metadata), blockTokens: 4, element: .f32).bytesPerBlock
        return try LanguageModel(file: file, options: o)
    }

    func tokens(_ n: Int, seed: UInt32) -> [TokenID] {
        var rng = XorShift32(seed: seed)
        return (0..<n).map { _ in TokenID(rng.nextInt(0..<80)) }
    }

    /// Prompts of different lengths prefilled in one pass, then decode steps of one token per
    /// sequence in one pass, against the same sequences run one at a time: the largest
    /// difference, and the one-at-a-time logits.
    func compare(_ file: GGUFFile, exact: Bool) throws -> (worst: Float, alone: [[[Float]]]) {
        let prompts = [tokens(5, seed: 1), tokens(1, seed: 2), tokens(11, seed: 3), tokens(7, seed: 4)]
        // steps[k][i]: the k-th decoded token of sequence i.
        let steps = (0..<6).map { step in prompts.indices.map { i in tokens(1, seed: UInt32(100 + 10 * step + i))[0] } }

        let alone = try model(file, exact: exact)
        var expected: [[[Float]]] = []  // [sequence][step] logits
        for (i, prompt) in prompts.enumerated() {
            let s = alone.cache.createSequence()
            try alone.transformer.forward(prompt[...], sequence: s, logits: .last)
            var rows = [Array(alone.transformer.logits)]
            for step in steps {
                try alone.transformer.forward([step[i]][...], sequence: s, logits: .last)
                rows.append(Array(alone.transformer.logits))
            }
            expected.append(rows)
        }

        let together = try model(file, exact: exact)
        let ids = prompts.map { _ in together.cache.createSequence() }
        var worst: Float = 0
        var out = try together.transformer.forward(batch: zip(ids, prompts).map { .init(sequence: $0, tokens: $1[...]) })
        for i in ids.indices { worst = max(worst, difference(Array(out[i]), expected[i][0])) }
        // Decode: one token per running sequence per pass; on odd passes one sequence sits
        // out (as a request waiting or finished would), so the batch changes shape.
        var done = Array(repeating: 0, count: ids.count)
        var pass = 0
        while done.contains(where: { $0 < steps.count }) {
            let running = ids.indices.filter { done[$0] < steps.count && (pass % 2 == 0 || $0 != (pass / 2) % ids.count) }
            pass += 1
            guard !running.isEmpty else { continue }
            out = try together.transformer.forward(batch: running.map { .init(sequence: ids[$0], tokens: [steps[done[$0]][$0]][...]) })
            for (row, i) in running.enumerated() {
                done[i] += 1
                worst = max(worst, difference(Array(out[row]), expected[i][done[i]]))
            }
        }
        return (worst, expected)
    }

    func difference(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max()! }

    func testSlotsAreTakenForTheWholeBatchOrNone() throws {
        let m = try model(try TinyModel.make(seed: 3), exact: true, blocks: 5)
        let a = m.cache.createSequence(), b = m.cache.createSequence()
        try m.transformer.forward(tokens(6, seed: 1)[...], sequence: a, logits: .none)  // 2 blocks
        let free = m.cache.pool.freeCount
        // a needs no new block for 2 more tokens; b needs 4 blocks for 13: one too many.
        XCTAssertThrowsError(try m.transformer.forward(batch: [.init(sequence: a, tokens: tokens(2, seed: 2)[...]),
                                                               .init(sequence: b, tokens: tokens(13, seed: 3)[...])])) { error in
            XCTAssertEqual(error as? KVCacheError, .outOfBlocks(needed: 4, free: 3, blockTokens: 4))
        }
        XCTAssertEqual(m.cache.pool.freeCount, free)
        XCTAssertEqual(try m.cache.tokenCount(of: a), 6)
        XCTAssertEqual(try m.cache.tokenCount(of: b), 0)
        XCTAssertEqual(try m.cache.blockTable(of: b), [])
    }

    func testBatchedEqualsOneAtATime() throws {
        for arch in ["llama", "qwen2"] {
            var shape = TinyModel.Shape()
            shape.architecture = arch
            shape.tiedEmbeddings = arch == "llama"
            let file = try TinyModel.make(shape, seed: 21)
            let exact = try compare(file, exact: true)
            XCTAssertLessThanOrEqual(exact.worst, 1e-4, "\(arch): exact products")
            XCTAssertGreaterThan(exact.alone[0][0].map(abs).max()!, 0.1, "\(arch): the logits are not all near zero")
            // On 8-bit activations a rounding-level change (another summation order in the
            // attention or the product kernel for more rows) can move an activation across a
            // rounding step; batching must change the logits less than that rounding does.
            let rounded = try compare(file, exact: false)
            let roundingError = zip(rounded.alone, exact.alone).map { zip($0, $1).map { difference($0, $1) }.max()! }.max()!
            XCTAssertLessThanOrEqual(rounded.worst, roundingError, "\(arch): 8-bit activations (their own error \(roundingError))")
        }
        let windowed = try TinyModel.make(overrides: ["llama.attention.sliding_window": .uint32(5)])
        XCTAssertLessThanOrEqual(try compare(windowed, exact: true).worst, 1e-4, "sliding window 5")
    }
}
