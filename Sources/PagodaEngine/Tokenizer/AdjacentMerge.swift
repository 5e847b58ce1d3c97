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

        static func < (a: Candidate, b: Candidate) -> Bool {
            a.priority != b.priority ? a.priority < b.priority : a.left < b.left
        }
        static func == (a: Candidate, b: Candidate) -> Bool { a.priority == b.priority && a.left == b.left }
    }

    /// Merges `count` symbols. `priority(l, r)` is the rank of merging symbol `l` with the
    /// symbol `r` after it (lower first), or nil where they do not merge; `merge(l, r)`
    /// folds `r` into `l`. Returns the indices of the symbols left, in order. `work` grows
    /// by one per candidate queued or taken (what the complexity tests count).
    static func run(count: Int, work: inout Int, priority: (Int, Int) -> Int64?, merge: (Int, Int) -> Void) -> [Int] {
        guard count > 1 else { return Array(0..<count) }
        var next = Array(1...count)         // count marks the end
        var previous = Array(-1..<(count - 1))
        var version = [UInt32](repeating: 0, count: count)
        var alive = [Bool](repeating: true, count: count)
        var heap = Heap<Candidate>()

        func consider(_ l: Int, _ r: Int) {
            guard l >= 0, r < count, let p = priority(l, r) else { return }
            heap.insert(Candidate(priority: p, left: Int32(l), right: Int32(r), leftVersion: version[l], rightVersion: version[r]))
            work += 1
        }
        for i in 0..<(count - 1) { consider(i, i + 1) }
        while let c = heap.popMin() {
            work += 1
            let l = Int(c.left), r = Int(c.right)
            guard alive[l], alive[r], next[l] == r, version[l] == c.leftVersion, version[r] == c.rightVersion else { continue }
            merge(l, r)
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
