import Foundation

/// Per-conversation policy over a `BlockPool` (after vLLM's `KVCacheManager`): each sequence
/// has a block table (logical block i → physical block) and holds a reference on each block.
///
/// Token positions map to blocks by `position / B` and `position % B`. With B = 4:
///
///     tokens     t0 t1 t2 t3 | t4 t5 t6 t7 | t8 t9
///     logical    0           | 1           | 2 (partly filled)
///     physical   7           | 2           | 5
///
/// Full blocks get a `BlockHash` chained over the prefix and are registered in the pool, so
/// another sequence starting with the same tokens takes them instead of recomputing.
/// A block that is shared (refcount > 1) or hashed is never written: the first write into
/// it copies it (copy-on-write) or, if held alone, drops its hash.
///
/// A forward pass asks for its slots with one call, `allocateSlots`, writes its keys and
/// values there, then `commit`s the tokens.
///
/// All methods are thread-safe (one lock); `snapshot()` may be called from the UI thread.
/// Internal to the engine: fronts reach conversations through `Engine`.
final class KVCacheManager: @unchecked Sendable {
    let pool: BlockPool
    var layout: KVCacheLayout { pool.layout }

    struct Sequence {
        var table: [Int] = []
        var tokens: [TokenID] = []
        var hashes: [BlockHash] = []  // one per full block
        var lastPrefixHit = PrefixHit()
        /// When it was last prepared or written (a counter), for picking a preemption victim.
        var lastUse = 0
    }

    private var sequences: [SequenceID: Sequence] = [:]
    private var nextID = 0
    private var useClock = 0
    private let lock = NSLock()
    private(set) var copyOnWriteCount = 0
    /// Counts changes, so a snapshot can tell whether it is newer than another.
    private var version = 0

    init(pool: BlockPool) {
        self.pool = pool
    }

    private var B: Int { pool.layout.blockTokens }

    private func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    private func sequence(_ id: SequenceID) throws -> Sequence {
        guard let s = sequences[id] else { throw KVCacheError.unknownSequence(id) }
        return s
    }

    /// Runs `body` on the sequence taken out of the table, so its arrays are uniquely held
    /// and grow in place (a copy would duplicate them on every append: O(tokens) and an
    /// allocation per decoded token), then puts it back.
    private func modify<T>(_ id: SequenceID, _ body: (inout Sequence) throws -> T) throws -> T {
        guard var s = sequences.removeValue(forKey: id) else { throw KVCacheError.unknownSequence(id) }
        useClock += 1
        s.lastUse = useClock
        defer { sequences[id] = s }
        let result = try body(&s)
        version += 1  // a body that throws changed nothing
        return result
    }

    // MARK: - Sequences

    func createSequence() -> SequenceID {
        withLock {
            let id = SequenceID(raw: nextID)
            nextID += 1
            version += 1
            sequences[id] = Sequence()
            return id
        }
    }

    /// A new sequence sharing every block of `id` (each block's refcount + 1).
    func fork(_ id: SequenceID) throws -> SequenceID {
        try withLock {
            var copy = try sequence(id)
            copy.lastPrefixHit = PrefixHit()
            for block in copy.table { pool.retain(block) }
            let newID = SequenceID(raw: nextID)
            nextID += 1
            version += 1
            sequences[newID] = copy
            return newID
        }
    }

    /// Drops the sequence and its references, tail blocks first (so they are evicted first).
    func release(_ id: SequenceID) {
        withLock {
            guard let s = sequences.removeValue(forKey: id) else { return }
            version += 1
            for block in s.table.reversed() { pool.release(block) }
        }
    }

    /// Preemption: empties the least recently used sequence not in `keep` that holds blocks,
    /// releasing its references (tail first), and returns it with the number of blocks that
    /// became free. The sequence stays valid with no tokens: giving it its context again
    /// recomputes it, reviving from the prefix cache whatever blocks were not reused
    /// meanwhile. nil when no other sequence holds a block.
    func preemptLeastRecentlyUsed(except keep: Set<SequenceID>) -> (id: SequenceID, freedBlocks: Int)? {
        withLock {
            let candidates = sequences.filter { !keep.contains($0.key) && !$0.value.table.isEmpty }
            guard let victim = candidates.min(by: { $0.value.lastUse < $1.value.lastUse })?.key else { return nil }
            let freeBefore = pool.freeCount
            try? modify(victim) { s in truncate(&s, to: 0) }
            return (victim, pool.freeCount - freeBefore)
        }
    }

    func tokens(of id: SequenceID) throws -> [TokenID] { try withLock { try sequence(id).tokens } }
    func tokenCount(of id: SequenceID) throws -> Int { try withLock { try sequence(id).tokens.count } }
    func blockTable(of id: SequenceID) throws -> [Int] { try withLock { try sequence(id).table } }
    func lastPrefixHit(of id: SequenceID) throws -> PrefixHit { try withLock { try sequence(id).lastPrefixHit } }

    // MARK: - Prefix reuse

    /// Readies `id` for the full context `context` (non-empty) and returns how many leading
    /// tokens are already in the cache: the caller computes only `context[n...]`.
    ///
    /// Keeps the longest common prefix with what the sequence holds (dropping the rest), then
    /// takes further full blocks from the prefix cache where their hashes match. The last
    /// token of `context` is always left to compute, since its logits are needed.
    @discardableResult
    func prepare(_ id: SequenceID, context: [TokenID]) throws -> Int {
        precondition(!context.isEmpty, "a context has at least one token")
        return try withLock { try modify(id) { s in
            var common = 0
            for (a, b) in zip(s.tokens, context) {
                guard a == b else { break }
                common += 1
            }
            common = min(common, context.count - 1)
            if common < s.tokens.count { truncate(&s, to: common) }
            var hit = PrefixHit()
            while s.tokens.count % B == 0, s.tokens.count + B <= context.count - 1 {
                let start = s.tokens.count
                let parent = s.hashes.last
                let slice = context[start..<(start + B)]
                let hash = BlockHash(parent: parent, tokens: slice)
                guard let block = pool.cachedBlock(for: hash, parent: parent, tokens: slice) else { break }
                pool.retain(block)
                s.table.append(block)
                s.tokens.append(contentsOf: slice)
                s.hashes.append(hash)
                hit.cachedTokens += B
                hit.cachedBlocks += 1
            }
            hit.reusedTokens = s.tokens.count
            s.lastPrefixHit = hit
            return s.tokens.count
        } }
    }

    /// Keeps the first `count` tokens of `id` and releases the blocks past them.
    func truncate(_ id: SequenceID, to count: Int) throws {
        try withLock { try modify(id) { s in truncate(&s, to: min(count, s.tokens.count)) } }
    }

    private func truncate(_ s: inout Sequence, to count: Int) {
        let keep = (count + B - 1) / B
        while s.table.count > keep { pool.release(s.table.removeLast()) }
        s.tokens.removeLast(s.tokens.count - count)
        s.hashes.removeLast(s.hashes.count - count / B)
    }

    // MARK: - Writing

    /// Makes room for `count` tokens after the ones `id` holds and says where they go:
    /// copies a shared last block (copy-on-write), unhashes a held-alone one, and allocates
    /// new blocks. Either all of that happens or nothing, and it throws: `.outOfBlocks` when
    /// the pool has too few free blocks, `.sequenceTooLong` past `limit` tokens in all.
    /// The caller writes every slot, then `commit`s the tokens. After vLLM's `allocate_slots`.
    func allocateSlots(_ id: SequenceID, count: Int, limit: Int) throws -> SlotAllocation {
        try allocateSlots([(id, count)], limit: limit)[0]
    }

    /// `allocateSlots` for several sequences at once (a batched forward pass), all or
    /// nothing: the blocks all of them need are counted first, under one lock. Each
    /// sequence appears at most once.
    func allocateSlots(_ requests: [(id: SequenceID, count: Int)], limit: Int) throws -> [SlotAllocation] {
        try withLock {
            precondition(Set(requests.map(\.id)).count == requests.count, "a sequence twice in one batch")
            var needed = 0
            for (id, count) in requests {
                let s = try sequence(id)
                let target = s.tokens.count + count
                guard target <= limit else { throw KVCacheError.sequenceTooLong(needed: target, limit: limit) }
                needed += blocksNeeded(s, count: count).total
            }
            guard needed <= pool.freeCount else {
                throw KVCacheError.outOfBlocks(needed: needed, free: pool.freeCount, blockTokens: B)
            }
            return try requests.map { id, count in try modify(id) { s in reserve(&s, count: count) } }
        }
    }

    /// What `count` more tokens of `s` take from the pool: whether its partly filled last
    /// block is shared (and must be copied first), and how many new blocks follow it.
    private func blocksNeeded(_ s: Sequence, count: Int) -> (copiesLast: Bool, newBlocks: Int, total: Int) {
        let n = s.tokens.count
        let copiesLast = n / B < s.table.count && pool.refCounts[s.table[n / B]] > 1
        let newBlocks = max(0, (n + count + B - 1) / B - s.table.count)
        return (copiesLast, newBlocks, newBlocks + (copiesLast ? 1 : 0))
    }

    /// Reserves the slots `blocksNeeded` counted; the caller has checked the pool has them.
    private func reserve(_ s: inout Sequence, count: Int) -> SlotAllocation {
        let n = s.tokens.count
        let plan = blocksNeeded(s, count: count)
        if n / B < s.table.count {
            let block = s.table[n / B]
            if plan.copiesLast {
                let copy = pool.allocate()!
                pool.copyBlock(from: block, to: copy, tokens: n % B)
                pool.release(block)
                s.table[n / B] = copy
                copyOnWriteCount += 1
            } else {
                pool.forgetHash(block)
                pool.setFill(block, n % B)
            }
        }
        for _ in 0..<plan.newBlocks { s.table.append(pool.allocate()!) }
        return SlotAllocation(first: n, count: count, table: s.table, blockTokens: B)
    }

    /// Records `tokens` as written after the ones `id` holds (their keys and values must
    /// already be in the reserved slots) and registers every block that became full.
    func commit(_ id: SequenceID, tokens: ArraySlice<TokenID>) throws {
        try withLock { try modify(id) { s in
            precondition(s.tokens.count + tokens.count <= s.table.count * B, "commit past the reserved blocks")
            for position in s.tokens.count..<(s.tokens.count + tokens.count) {
                pool.markWritten(s.table[position / B], offset: position % B)
            }
            s.tokens.append(contentsOf: tokens)
            while s.hashes.count < s.tokens.count / B {
                let i = s.hashes.count
                let parent = s.hashes.last
                let slice = s.tokens[(i * B)..<((i + 1) * B)]
                let hash = BlockHash(parent: parent, tokens: slice)
                s.hashes.append(hash)
                pool.register(s.table[i], hash: hash, parent: parent, tokens: slice)
            }
        } }
    }

    // MARK: - Snapshot

    func snapshot() -> KVCacheSnapshot {
        withLock {
            var owners = Array(repeating: [SequenceID](), count: pool.blockCount)
            for (id, s) in sequences.sorted(by: { $0.key < $1.key }) {
                for block in s.table { owners[block].append(id) }
            }
            let blocks = (0..<pool.blockCount).map { b in
                KVCacheSnapshot.Block(
                    id: b,
                    state: pool.refCounts[b] > 0 ? .inUse : pool.isCachedFree(b) ? .cachedFree : .free,
                    refCount: pool.refCounts[b], fill: pool.fills[b], owners: owners[b], hashed: pool.hashes[b] != nil)
            }
            let seqs = sequences.sorted(by: { $0.key < $1.key }).map { id, s in
                KVCacheSnapshot.Sequence(id: id, tokenCount: s.tokens.count, table: s.table, lastPrefixHit: s.lastPrefixHit)
            }
            return KVCacheSnapshot(layout: pool.layout, blocks: blocks, sequences: seqs, copyOnWriteCount: copyOnWriteCount, version: version)
        }
    }
}
