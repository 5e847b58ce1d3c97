import XCTest
@testable import PagodaEngine

/// The forward pass gives the same logits however the KV cache is paged and however the
/// prompt is chunked, on small random models of both architectures.
final class TransformerTests: XCTestCase {
    func model(_ file: GGUFFile, blockTokens: Int, element: KVCacheLayout.Element = .f32, blocks: Int = 64, maxChunk: Int = 64) throws -> LanguageModel {
        var o = EngineOptions()
        o.blockTokens = blockTokens
        o.kvElement = element
        o.maxChunk = maxChunk
        // Exact float products: 8-bit activations would turn rounding-level differences of the
        // attention order into whole quantization steps.
        o.quantizedActivations = false
        let layout = KVCacheLayout(config: try ModelConfig(metadata: file.metadata), blockTokens: blockTokens, element: element)
        o.kvBudgetBytes = blocks * layout.bytesPerBlock
        return try LanguageModel(file: file, options: o)
    }

    /// Logits after every token of `context`.
    func allLogits(_ m: LanguageModel, _ context: [TokenID]) throws -> [[Float]] {
        var rows: [[Float]] = []
        let s = m.cache.createSequence()
        try m.transformer.evaluate(s, context: context) { _, row in rows.append(Array(row)) }
        return rows
    }

    /// Scrambles the free queue so blocks are handed out in random physical order.
    func shuffleFreeBlocks(_ pool: BlockPool, seed: UInt32) {
        var rng = XorShift32(seed: seed)
        var held: [Int] = []
        while let b = pool.allocate() { held.append(b) }
        for i in stride(from: held.count - 1, to: 0, by: -1) { held.swapAt(i, rng.nextInt(0..<(i + 1))) }
        for b in held { pool.release(b) }
    }

    func maxDifference(_ a: [[Float]], _ b: [[Float]]) -> Float {
        zip(a, b).map { zip($0, $1).map { abs($0 - $1) }.max()! }.max()!
    }

    func context(_ n: Int, vocabulary: Int, seed: UInt32) -> [TokenID] {
        var rng = XorShift32(seed: seed)
        return (0..<n).map { _ in TokenID(rng.nextInt(0..<vocabulary)) }
    }

    func testPagedCacheEqualsContiguousForAnyBlockSizeAndPlacement() throws {
        for arch in ["llama", "qwen2"] {
            var shape = TinyModel.Shape()
            shape.architecture = arch
            shape.tiedEmbeddings = arch == "llama"
            let file = try TinyModel.make(shape, seed: 5)
            let ids = context(70, vocabulary: shape.vocabulary, seed: 9)
            // One block as long as the context: the cache is one contiguous array per head.
            let reference = try allLogits(try model(file, blockTokens: 128, blocks: 1), ids)
            for B in [1, 3, 16, 64] {
                let m = try model(file, blockTokens: B, blocks: (70 + B - 1) / B + 7)
                shuffleFreeBlocks(m.cache.pool, seed: UInt32(B))
                let rows = try allLogits(m, ids)
                XCTAssertLessThanOrEqual(maxDifference(rows, reference), 1e-4, "\(arch) B=\(B)")
                XCTAssertTrue(rows.allSatisfy { $0.allSatisfy(\.isFinite) })
            }
        }
    }

    func testPrefillInChunksEqualsOneTokenAtATime() throws {
        let file = try TinyModel.make(seed: 8)
        let ids = context(45, vocabulary: 80, seed: 3)
        let batched = try allLogits(try model(file, blockTokens: 16, maxChunk: 64), ids)
        let chunked = try allLogits(try model(file, blockTokens: 16, maxChunk: 7), ids)
        let single = try allLogits(try model(file, blockTokens: 16, maxChunk: 1), ids)
        XCTAssertLessThanOrEqual(maxDifference(batched, chunked), 1e-4)
        XCTAssertLessThanOrEqual(maxDifference(batched, single), 1e-4)
    }

    func testF16CacheStaysCloseToF32() throws {
        let file = try TinyModel.make(seed: 12)
        let ids = context(40, vocabulary: 80, seed: 4)
        let f32 = try allLogits(try model(file, blockTokens: 16), ids)
        let f16 = try allLogits(try model(file, blockTokens: 16, element: .f16), ids)
        XCTAssertLessThanOrEqual(maxDifference(f32, f16), 2e-2)
    }

    func testPrefixReuseGivesTheSameLogitsAsRecomputing() throws {
        let file = try TinyModel.make(seed: 21)
        let m = try model(file, blockTokens: 8)
        let system = context(20, vocabulary: 80, seed: 1)
        let first = system + context(9, vocabulary: 80, seed: 2)
        let second = system + context(6, vocabulary: 80, seed: 3)
        let a = m.cache.createSequence(), b = m.cache.createSequence()
        try m.transformer.evaluate(a, context: first)
        let reused = Array(try m.transformer.evaluate(b, context: second))
        XCTAssertEqual(try m.cache.lastPrefixHit(of: b).cachedTokens, 16)
        let fresh = try model(file, blockTokens: 8)
        let recomputed = Array(try fresh.transformer.evaluate(fresh.cache.createSequence(), context: second))
        XCTAssertLessThanOrEqual(maxDifference([reused], [recomputed]), 1e-4)
        // A new turn extends the held context without recomputing it.
        let longer = first + context(5, vocabulary: 80, seed: 4)
        XCTAssertEqual(try m.cache.prepare(a, context: longer), first.count)
    }

    func testFullPoolAndBadTokensAreErrorsNotCrashes() throws {
        let file = try TinyModel.make(seed: 2)
        let m = try model(file, blockTokens: 16, blocks: 2, maxChunk: 16)
        let s = m.cache.createSequence()
        XCTAssertThrowsError(try m.transformer.evaluate(s, context: context(40, vocabulary: 80, seed: 1))) { error in
            XCTAssertTrue(error is KVCacheError, "\(error)")
        }
        XCTAssertEqual(m.cache.snapshot().usedBlocks, 2, "the chunks that fit are kept, the failed one took nothing")
        XCTAssertThrowsError(try m.transformer.evaluate(m.cache.createSequence(), context: [5, 80])) { error in
            XCTAssertEqual(error as? ModelError, .tokenOutOfRange(80, vocabulary: 80))
        }
    }

    func testMissingTensorIsNamed() throws {
        let file = try TinyModel.make()
        var writer = GGUFWriter(metadata: file.metadata)
        for info in file.tensors where info.name != "blk.1.ffn_up.weight" {
            try writer.addTensor(name: info.name, shape: info.shape, type: info.type, data: Data(file.data(of: info)))
        }
        let broken = try GGUFFile(data: writer.serialize(), name: "broken.gguf")
        XCTAssertThrowsError(try LanguageModel(file: broken)) { error in
            XCTAssertEqual("\(error)", "broken.gguf: tensor 'blk.1.ffn_up.weight': missing")
        }
    }

    func testUnsupportedArchitectureListsTheSupportedOnes() throws {
        var m = GGUFMetadata(source: "x.gguf")
        m.set("general.architecture", .string("mamba"))
        XCTAssertThrowsError(try ModelConfig(metadata: m)) { error in
            XCTAssertEqual("\(error)", "x.gguf: metadata 'general.architecture': architecture 'mamba' is not supported (supported: llama, qwen2, qwen3, gemma3)")
        }
    }
}
