/// Where one forward pass writes its keys and values: `count` tokens from position `first`
/// of a sequence, in the blocks of `table` (which covers them all). Made by
/// `KVCacheManager.allocateSlots`; valid until the sequence is changed again.
struct SlotAllocation {
    /// Position of the first new token (the tokens the sequence held before).
    let first: Int
    let count: Int
    /// Logical block i → physical block, covering positions `0..<first + count`.
    let table: [Int]
    let blockTokens: Int

    /// Physical block and row of `position` (in `first..<first + count`).
    @inline(__always)
    func slot(_ position: Int) -> (block: Int, row: Int) {
        (table[position / blockTokens], position % blockTokens)
    }
}
