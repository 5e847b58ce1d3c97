/// All KV cache memory: `blockCount` physical blocks of `layout.bytesPerBlock` bytes, allocated
/// once, with the bookkeeping vLLM's `BlockPool` keeps: a reference count per block, free
/// blocks in two queues, and a map from `BlockHash` to the cached block holding that prefix.
///
/// Free blocks are either *plain* (no content worth keeping) or *cached* (a full block with a
/// hash, kept in LRU order so a later prefix hit can revive it). `allocate()` takes plain
/// blocks first, then evicts the least recently freed cached block.
///
/// Mechanism only: which blocks a conversation holds is `KVCacheManager`'s business.
final class BlockPool: @unchecked Sendable {
    let layout: KVCacheLayout
    let blockCount: Int
    /// `blockCount × layout.bytesPerBlock` bytes, 64-byte aligned.
    let storage: UnsafeMutableRawPointer

    private(set) var refCounts: [Int]
    /// Tokens written into each block (valid rows of every tile).
    var fills: [Int]
    private(set) var hashes: [BlockHash?]
    /// For a hashed block: its parent's hash and its tokens, to confirm a hit.
    private var hashedContent: [(parent: BlockHash?, tokens: [TokenID])?]
    private var plainFree: BlockQueue
    private var cachedFree: BlockQueue
    private var cachedBlocks: [BlockHash: Int] = [:]

    init(layout: KVCacheLayout, blockCount: Int) {
        precondition(blockCount > 0, "a pool needs at least one block")
        self.layout = layout
        self.blockCount = blockCount
        storage = UnsafeMutableRawPointer.allocate(byteCount: blockCount * layout.bytesPerBlock, alignment: 64)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: blockCount * layout.bytesPerBlock)
        refCounts = Array(repeating: 0, count: blockCount)
        fills = Array(repeating: 0, count: blockCount)
        hashes = Array(repeating: nil, count: blockCount)
        hashedContent = Array(repeating: nil, count: blockCount)
        plainFree = BlockQueue(capacity: blockCount)
        cachedFree = BlockQueue(capacity: blockCount)
        for b in 0..<blockCount { plainFree.append(b) }
    }

    /// A pool as large as `bytes` allows (at least one block).
    convenience init(layout: KVCacheLayout, budgetBytes bytes: Int) {
        self.init(layout: layout, blockCount: max(1, layout.blocks(fitting: bytes)))
    }

    deinit { storage.deallocate() }

    var totalBytes: Int { blockCount * layout.bytesPerBlock }
    /// Blocks that `allocate()` can hand out: plain free plus cached free.
    var freeCount: Int { plainFree.count + cachedFree.count }
    var cachedFreeCount: Int { cachedFree.count }
    var usedCount: Int { blockCount - freeCount }

    func isCachedFree(_ block: Int) -> Bool { cachedFree.contains(block) }

    /// Start of block `block`'s bytes.
    @inline(__always)
    func blockBase(_ block: Int) -> UnsafeMutableRawPointer {
        storage + block * layout.bytesPerBlock
    }

    // MARK: - Allocation

    /// A block with reference count 1 and no content, or nil when every block is in use.
    func allocate() -> Int? {
        let block: Int
        if let plain = plainFree.popFirst() {
            block = plain
        } else if let cached = cachedFree.popFirst() {
            forgetHash(cached)
            block = cached
        } else {
            return nil
        }
        precondition(refCounts[block] == 0)
        refCounts[block] = 1
        fills[block] = 0
        return block
    }

    /// One more holder of `block`; revives it if it was cached free.
    func retain(_ block: Int) {
        if refCounts[block] == 0 {
            precondition(cachedFree.contains(block), "retaining free block \(block) that holds nothing")
            cachedFree.remove(block)
        }
        refCounts[block] += 1
    }

    /// One holder fewer. At zero the block becomes free: cached (kept for prefix hits) if it
    /// has a hash, plain otherwise.
    func release(_ block: Int) {
        precondition(refCounts[block] > 0, "releasing block \(block) with no holder")
        refCounts[block] -= 1
        guard refCounts[block] == 0 else { return }
        if hashes[block] != nil { cachedFree.append(block) } else { fills[block] = 0; plainFree.append(block) }
    }

    // MARK: - Prefix cache

    /// The block caching exactly `tokens` after `parent`, if any (confirmed, not just hashed).
    func cachedBlock(for hash: BlockHash, parent: BlockHash?, tokens: ArraySlice<TokenID>) -> Int? {
        guard let block = cachedBlocks[hash], let content = hashedContent[block],
              content.parent == parent, content.tokens.elementsEqual(tokens) else { return nil }
        return block
    }

    /// Marks a full block as holding `tokens` after `parent`. If another block already caches
    /// that prefix, this one stays unregistered (its twin serves future hits).
    func register(_ block: Int, hash: BlockHash, parent: BlockHash?, tokens: ArraySlice<TokenID>) {
        guard hashes[block] == nil, cachedBlocks[hash] == nil else { return }
        hashes[block] = hash
        hashedContent[block] = (parent, Array(tokens))
        cachedBlocks[hash] = block
    }

    /// Drops `block`'s hash so its content may change. The caller must hold it alone.
    func forgetHash(_ block: Int) {
        guard let hash = hashes[block] else { return }
        if cachedBlocks[hash] == block { cachedBlocks[hash] = nil }
        hashes[block] = nil
        hashedContent[block] = nil
    }

    /// Copies block `from` into `to` and marks its first `tokens` rows filled (copy-on-write).
    /// The whole block is copied: key tiles are dimension-major, so a prefix of rows is not
    /// one contiguous range.
    func copyBlock(from: Int, to: Int, tokens: Int) {
        blockBase(to).copyMemory(from: blockBase(from), byteCount: layout.bytesPerBlock)
        fills[to] = tokens
    }

    /// Records that row `offset` of `block` now holds a token.
    @inline(__always)
    func markWritten(_ block: Int, offset: Int) {
        if fills[block] < offset + 1 { fills[block] = offset + 1 }
    }

    /// Sets how many rows of an exclusively held `block` are valid (after a truncation).
    func setFill(_ block: Int, _ tokens: Int) {
        fills[block] = tokens
    }

    /// Checks the pool's invariants; for tests.
    func checkInvariants() -> [String] {
        var problems: [String] = []
        for b in 0..<blockCount {
            let queued = plainFree.contains(b) || cachedFree.contains(b)
            if refCounts[b] < 0 { problems.append("block \(b): negative refcount") }
            if (refCounts[b] == 0) != queued { problems.append("block \(b): refcount \(refCounts[b]) but queued \(queued)") }
            if cachedFree.contains(b) && hashes[b] == nil { problems.append("block \(b): cached free without hash") }
            if plainFree.contains(b) && hashes[b] != nil { problems.append("block \(b): plain free with hash") }
        }
        for (hash, block) in cachedBlocks where hashes[block] != hash {
            problems.append("map entry \(hash) → \(block) does not match the block")
        }
        return problems
    }
}
