import XCTest
@testable import PagodaEngine

/// Prefix sharing, fork, copy-on-write, eviction and failure, checked through the snapshot.
final class KVCacheManagerTests: XCTestCase {
    let B = 16

    func makeManager(blocks: Int) -> KVCacheManager {
        let layout = KVCacheLayout(layerCount: 2, kvHeadCount: 1, headDimension: 4, blockTokens: B, element: .f32)
        return KVCacheManager(pool: BlockPool(layout: layout, blockCount: blocks))
    }

    func tokens(_ n: Int, from start: Int = 100) -> [TokenID] { (0..<n).map { TokenID(start + $0) } }

    /// Brings `id` to hold `context` the way the engine does: prepare, reserve, commit.
    func fill(_ m: KVCacheManager, _ id: SequenceID, _ context: [TokenID]) throws -> Int {
        let reused = try m.prepare(id, context: context)
        _ = try m.allocateSlots(id, count: context.count - reused, limit: .max)
        try m.commit(id, tokens: context[reused...])
        return reused
    }

    func assertHealthy(_ m: KVCacheManager, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(m.pool.checkInvariants(), [], file: file, line: line)
        let snap = m.snapshot()
        var holders = Array(repeating: 0, count: snap.totalBlocks)
        for s in snap.sequences { for b in s.table { holders[b] += 1 } }
        for block in snap.blocks {
            XCTAssertEqual(block.refCount, holders[block.id], "block \(block.id): refcount vs tables", file: file, line: line)
        }
    }

    func testNewSequenceTakesBlocksOneAtATime() throws {
        let m = makeManager(blocks: 8)
        let a = m.createSequence()
        XCTAssertEqual(try fill(m, a, tokens(40)), 0)
        let snap = m.snapshot()
        XCTAssertEqual(snap.usedBlocks, 3)
        XCTAssertEqual(snap.sequences.first?.tokenCount, 40)
        let table = try m.blockTable(of: a)
        XCTAssertEqual(table.map { snap.blocks[$0].fill }, [16, 16, 8])
        XCTAssertEqual(table.map { snap.blocks[$0].hashed }, [true, true, false])
        assertHealthy(m)
    }

    func testSecondSequenceReusesTheSharedPrefix() throws {
        let m = makeManager(blocks: 8)
        let a = m.createSequence(), b = m.createSequence()
        let shared = tokens(33)
        _ = try fill(m, a, shared + tokens(7, from: 500))
        let reused = try fill(m, b, shared + tokens(17, from: 900))
        XCTAssertEqual(reused, 32, "two full blocks come from the cache")
        XCTAssertEqual(try m.lastPrefixHit(of: b), .init(reusedTokens: 32, cachedTokens: 32, cachedBlocks: 2))
        let ta = try m.blockTable(of: a), tb = try m.blockTable(of: b)
        XCTAssertEqual(Array(ta.prefix(2)), Array(tb.prefix(2)))
        XCTAssertNotEqual(ta[2], tb[2])
        let snap = m.snapshot()
        XCTAssertEqual(snap.sharedBlocks, 2)
        XCTAssertEqual(snap.blocks[ta[0]].owners, [a, b])
        XCTAssertEqual(snap.usedBlocks, 3 + 2)
        assertHealthy(m)
    }

    func testForkSharesEverythingAndCopiesOnTheFirstDivergentWrite() throws {
        let m = makeManager(blocks: 8)
        let a = m.createSequence()
        _ = try fill(m, a, tokens(40))
        let ta = try m.blockTable(of: a)
        // Mark A's partial block so the copy can be checked.
        let layout = m.layout
        let marker: [Float] = [1, 2, 3, 4]
        marker.withUnsafeBufferPointer { p in
            KVRows.store(p.baseAddress!, n: 4, to: m.pool.blockBase(ta[2]), index: layout.tileOffset(layer: 1, value: true, head: 0) + 7 * 4, element: .f32)
        }

        let c = try m.fork(a)
        var snap = m.snapshot()
        XCTAssertEqual(try m.blockTable(of: c), ta)
        XCTAssertEqual(ta.map { snap.blocks[$0].refCount }, [2, 2, 2])
        XCTAssertEqual(snap.usedBlocks, 3, "a fork takes no new memory")

        _ = try m.allocateSlots(c, count: 1, limit: .max)
        XCTAssertEqual(m.copyOnWriteCount, 1)
        let tc = try m.blockTable(of: c)
        XCTAssertEqual(Array(tc.prefix(2)), Array(ta.prefix(2)))
        XCTAssertNotEqual(tc[2], ta[2])
        var copied = [Float](repeating: 0, count: 4)
        copied.withUnsafeMutableBufferPointer { p in
            KVRows.load(m.pool.blockBase(tc[2]), index: layout.tileOffset(layer: 1, value: true, head: 0) + 7 * 4, n: 4, element: .f32, into: p.baseAddress!)
        }
        XCTAssertEqual(copied, marker, "the copy carries the shared rows")
        try m.commit(c, tokens: [7][...])
        snap = m.snapshot()
        XCTAssertEqual(snap.blocks[ta[2]].refCount, 1)
        XCTAssertEqual(snap.blocks[tc[2]].fill, 9)
        XCTAssertEqual(snap.blocks[ta[2]].fill, 8)

        _ = try m.allocateSlots(c, count: 1, limit: .max)
        try m.commit(c, tokens: [8][...])
        XCTAssertEqual(m.copyOnWriteCount, 1, "exactly one copy")
        // A writing its own (no longer shared) block copies nothing either.
        _ = try m.allocateSlots(a, count: 1, limit: .max)
        XCTAssertEqual(m.copyOnWriteCount, 1)
        assertHealthy(m)
    }

    func testNothingLeaksAndFreedBlocksStayCachedForRevival() throws {
        let m = makeManager(blocks: 8)
        let a = m.createSequence(), b = m.createSequence()
        _ = try fill(m, a, tokens(40))
        _ = try fill(m, b, tokens(20, from: 300))
        let c = try m.fork(a)
        _ = try fill(m, c, tokens(40) + tokens(10, from: 700))
        for id in [a, b, c] { m.release(id) }
        var snap = m.snapshot()
        XCTAssertEqual(snap.usedBlocks, 0)
        XCTAssertEqual(snap.blocks.map(\.refCount), Array(repeating: 0, count: 8))
        XCTAssertEqual(snap.cachedFreeBlocks, 4, "A's two full blocks, B's one, C's copied third block")
        assertHealthy(m)

        let d = m.createSequence()
        XCTAssertEqual(try fill(m, d, tokens(40)), 32, "revived from the cached-free queue")
        snap = m.snapshot()
        XCTAssertEqual(snap.cachedFreeBlocks, 2)
        assertHealthy(m)
    }

    func testAllocationPrefersPlainBlocksThenEvictsTheLeastRecentlyFreed() throws {
        let m = makeManager(blocks: 4)
        let a = m.createSequence(), b = m.createSequence()
        _ = try fill(m, a, tokens(16, from: 0))
        _ = try fill(m, b, tokens(16, from: 50))
        let blockA = try m.blockTable(of: a)[0], blockB = try m.blockTable(of: b)[0]
        m.release(a)
        m.release(b)
        // Two plain blocks are left: a 2-block sequence takes them and evicts nothing.
        let c = m.createSequence()
        _ = try fill(m, c, tokens(20, from: 900))
        XCTAssertEqual(m.snapshot().cachedFreeBlocks, 2)
        // The next block evicts A's (freed first), keeping B's for a later hit.
        let d = m.createSequence()
        _ = try fill(m, d, tokens(3, from: 2000))
        XCTAssertEqual(try m.blockTable(of: d), [blockA])
        let e = m.createSequence()
        XCTAssertEqual(try m.prepare(e, context: tokens(17, from: 50)), 16)
        XCTAssertEqual(try m.blockTable(of: e), [blockB])
        assertHealthy(m)
    }

    func testPreemptionEmptiesTheLeastRecentlyUsedOtherSequence() throws {
        let m = makeManager(blocks: 8)
        let a = m.createSequence(), b = m.createSequence(), c = m.createSequence()
        _ = try fill(m, a, tokens(40, from: 1000))  // 3 blocks
        _ = try fill(m, b, tokens(20, from: 2000))  // 2 blocks
        _ = try fill(m, c, tokens(30, from: 3000))  // 2 blocks
        _ = try fill(m, a, tokens(45, from: 1000))  // a used last
        // b is the least recently used other than c.
        let first = try XCTUnwrap(m.preemptLeastRecentlyUsed(except: [c]))
        XCTAssertEqual(first.id, b)
        XCTAssertEqual(first.freedBlocks, 2)
        XCTAssertEqual(try m.tokenCount(of: b), 0, "the sequence stays, empty")
        XCTAssertEqual(try m.blockTable(of: b), [])
        assertHealthy(m)
        // Then a; then nothing else holds blocks.
        XCTAssertNil(m.preemptLeastRecentlyUsed(except: [c, a]), "a is protected too")
        XCTAssertEqual(m.preemptLeastRecentlyUsed(except: [c])?.id, a)
        XCTAssertNil(m.preemptLeastRecentlyUsed(except: [c]))
        XCTAssertEqual(m.snapshot().usedBlocks, 2)
        // Giving b its context again revives its freed, still cached full block.
        XCTAssertEqual(try fill(m, b, tokens(20, from: 2000)), 16)
        assertHealthy(m)
    }

    func testFullPoolFailsWithoutChangingAnything() throws {
        let m = makeManager(blocks: 3)
        let a = m.createSequence()
        _ = try fill(m, a, tokens(40))
        let b = try m.fork(a)
        let before = m.snapshot()
        XCTAssertThrowsError(try m.allocateSlots(b, count: 30, limit: .max)) { error in
            XCTAssertEqual(error as? KVCacheError, .outOfBlocks(needed: 3, free: 0, blockTokens: 16))
            XCTAssertTrue("\(error)".contains("KV cache is full"))
        }
        XCTAssertEqual(m.snapshot(), before)
        XCTAssertEqual(try m.tokenCount(of: b), 40)
        assertHealthy(m)
    }

    func testDivergingContextTruncatesAndRewritesTheHeldBlock() throws {
        let m = makeManager(blocks: 8)
        let a = m.createSequence()
        _ = try fill(m, a, tokens(40))
        let before = try m.blockTable(of: a)
        var edited = tokens(40)
        edited[20] = 1
        XCTAssertEqual(try fill(m, a, edited), 20)
        let after = try m.blockTable(of: a)
        XCTAssertEqual(Array(after.prefix(2)), Array(before.prefix(2)), "held alone: rewritten in place, no copy")
        XCTAssertEqual(m.copyOnWriteCount, 0)
        XCTAssertEqual(try m.tokens(of: a), edited)
        // The same context again recomputes only the last token.
        XCTAssertEqual(try m.prepare(a, context: edited), 39)
        assertHealthy(m)
    }
}
