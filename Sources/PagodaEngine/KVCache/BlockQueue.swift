/// An intrusive doubly linked queue of block ids (vLLM's `FreeKVCacheBlockQueue`): links are
/// stored in arrays indexed by block id, so appending, popping the oldest and removing any
/// block from the middle are all O(1) and allocate nothing.
struct BlockQueue {
    private static let none: Int32 = -1
    private var previous: [Int32]
    private var next: [Int32]
    private var member: [Bool]
    private var head: Int32 = none
    private var tail: Int32 = none
    private(set) var count = 0

    init(capacity: Int) {
        previous = Array(repeating: Self.none, count: capacity)
        next = Array(repeating: Self.none, count: capacity)
        member = Array(repeating: false, count: capacity)
    }

    func contains(_ block: Int) -> Bool { member[block] }

    /// Adds `block` as the newest entry.
    mutating func append(_ block: Int) {
        precondition(!member[block], "block \(block) is already queued")
        let b = Int32(block)
        previous[block] = tail
        next[block] = Self.none
        if tail == Self.none { head = b } else { next[Int(tail)] = b }
        tail = b
        member[block] = true
        count += 1
    }

    /// Removes and returns the oldest entry.
    mutating func popFirst() -> Int? {
        guard head != Self.none else { return nil }
        let block = Int(head)
        remove(block)
        return block
    }

    /// Unlinks `block` from wherever it is in the queue.
    mutating func remove(_ block: Int) {
        precondition(member[block], "block \(block) is not queued")
        let p = previous[block], n = next[block]
        if p == Self.none { head = n } else { next[Int(p)] = n }
        if n == Self.none { tail = p } else { previous[Int(n)] = p }
        previous[block] = Self.none
        next[block] = Self.none
        member[block] = false
        count -= 1
    }

    /// Entries from oldest to newest.
    var elements: [Int] {
        var out: [Int] = []
        var cursor = head
        while cursor != Self.none {
            out.append(Int(cursor))
            cursor = next[Int(cursor)]
        }
        return out
    }
}
