import HeapModule

/// The merge loop both BPE tokenizers share: symbols in a row, the adjacent pair with the
/// best priority (lowest value; leftmost on ties) merges, its new neighbours become
/// candidates, until no pair merges. The same result as rescanning every pair after each
/// merge, in O(n log n) instead of O(n²): candidates wait in a heap, and one whose symbols
/// changed since it was queued is recognised by their versions and dropped (as llama.cpp's
/// `llm_bigram` queue does).
///
///     symbols   h  e  l  l  o        candidates (h,e) (e,l) (l,l) (l,o)
///     merge (l,l) → h  e  ll  o      (e,l) and (l,o) are stale; (e,ll) (ll,o) are queued
enum AdjacentMerge {
    private struct Candidate: Comparable {
        let priority: Int64
        let left: Int32
        let right: Int32
        let leftVersion: UInt32
        let rightVersion: UInt32
        let payload: Int32

        static func < (a: Candidate, b: Candidate) -> Bool {
            a.priority != b.priority ? a.priority < b.priority : a.left < b.left
        }
        static func == (a: Candidate, b: Candidate) -> Bool { a.priority == b.priority && a.left == b.left }
    }

    /// Merges `count` symbols. `priority(l, r)` is the rank of merging symbol `l` with the
    /// symbol `r` after it (lower first) and a payload for `merge` (the merged token, say),
    /// or nil where they do not merge; `merge(l, r, payload)` folds `r` into `l`. Returns
    /// the indices of the symbols left, in order. `work` grows by one per symbol, and per
    /// candidate queued or taken (what the complexity tests count).
    static func run(count: Int, work: inout Int, priority: (Int, Int) -> (Int64, payload: Int32)?, merge: (Int, Int, Int32) -> Void) -> [Int] {
        work += count
        guard count > 1 else { return Array(0..<count) }
        var next = Array(1...count)         // count marks the end
        var previous = Array(-1..<(count - 1))
        var version = [UInt32](repeating: 0, count: count)
        var alive = [Bool](repeating: true, count: count)
        func candidate(_ l: Int, _ r: Int) -> Candidate? {
            guard l >= 0, r < count, let (p, payload) = priority(l, r) else { return nil }
            work += 1
            return Candidate(priority: p, left: Int32(l), right: Int32(r), leftVersion: version[l], rightVersion: version[r], payload: payload)
        }
        func consider(_ l: Int, _ r: Int) {
            if let c = candidate(l, r) { heap.insert(c) }
        }
        var heap = Heap((0..<(count - 1)).compactMap { candidate($0, $0 + 1) })  // heapified in O(n)
        while let c = heap.popMin() {
            work += 1
            let l = Int(c.left), r = Int(c.right)
            guard alive[l], alive[r], next[l] == r, version[l] == c.leftVersion, version[r] == c.rightVersion else { continue }
            merge(l, r, c.payload)
            version[l] &+= 1
            alive[r] = false
            next[l] = next[r]
            if next[r] < count { previous[next[r]] = l }
            consider(previous[l], l)
            consider(l, next[l])
        }
        var survivors: [Int] = []
        var i = 0
        while i < count {
            survivors.append(i)
            i = next[i]
        }
        return survivors
    }
}

