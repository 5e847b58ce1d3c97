import Foundation

/// Flash-style attention over a sequence's KV blocks.
///
/// Queries are `tokens` consecutive positions `first, first+1, …`; query `t` sees keys at
/// positions `0…first+t` (causal). For each KV head, the blocks of the sequence are walked in
/// order; each block's key and value tile (at most `B × headDim`) is loaded once and serves
/// every query and every query head of the group (GQA). Per (query, head) a running max `M`,
/// running sum `S` and running output `O` are kept (online softmax):
///
///     s_j   = q · k_j / √d                     scores of this tile
///     M'    = max(M, max_j s_j)                new running max
///     c     = e^(M − M')                       rescales what was summed under the old max
///     S'    = c·S + Σ_j e^(s_j − M')
///     O'    = c·O + Σ_j e^(s_j − M') · v_j
///     out   = O / S                            after the last tile
///
/// No score matrix is formed: scratch is one tile of keys and values plus one row of scores.
public struct PagedAttention {
    public let layout: KVCacheLayout
    public let headCount: Int
    private let keyTile: UnsafeMutablePointer<Float>
    private let valueTile: UnsafeMutablePointer<Float>
    private let scores: UnsafeMutablePointer<Float>
    private var runningMax: UnsafeMutablePointer<Float>
    private var runningSum: UnsafeMutablePointer<Float>
    private let maxQueries: Int

    /// Scratch for up to `maxTokens` queries of `headCount` heads.
    public init(layout: KVCacheLayout, headCount: Int, maxTokens: Int) {
        precondition(headCount % layout.kvHeadCount == 0)
        self.layout = layout
        self.headCount = headCount
        maxQueries = maxTokens * headCount
        keyTile = .allocate(capacity: layout.tileElements)
        valueTile = .allocate(capacity: layout.tileElements)
        scores = .allocate(capacity: layout.blockTokens)
        runningMax = .allocate(capacity: maxQueries)
        runningSum = .allocate(capacity: maxQueries)
    }

    public func deallocate() {
        keyTile.deallocate()
        valueTile.deallocate()
        scores.deallocate()
        runningMax.deallocate()
        runningSum.deallocate()
    }

    /// Attention for `tokens` queries in `layer`.
    /// - `queries`: `tokens × headCount × headDim` (query `t`, head `h` at `(t·H + h)·d`).
    /// - `out`: same shape; overwritten.
    /// - `table`: the sequence's block table, covering positions `0..<first+tokens` whose keys
    ///   and values (including this chunk's) are already stored in `pool`.
    public func run(
        queries: UnsafePointer<Float>, tokens: Int, first: Int, table: [Int], layer: Int,
        pool: BlockPool, out: UnsafeMutablePointer<Float>
    ) {
        precondition(tokens * headCount <= maxQueries)
        let d = layout.headDimension, B = layout.blockTokens
        let group = headCount / layout.kvHeadCount
        let scale = 1 / Float(d).squareRoot()
        let length = first + tokens
        for i in 0..<(tokens * headCount) {
            runningMax[i] = -.infinity
            runningSum[i] = 0
        }
        out.update(repeating: 0, count: tokens * headCount * d)

        for kvHead in 0..<layout.kvHeadCount {
            let keyIndex = layout.tileOffset(layer: layer, value: false, head: kvHead)
            let valueIndex = layout.tileOffset(layer: layer, value: true, head: kvHead)
            for logical in 0..<((length + B - 1) / B) {
                let start = logical * B
                let rows = min(B, length - start)
                let base = UnsafeRawPointer(pool.blockBase(table[logical]))
                KVRows.load(base, index: keyIndex, n: rows * d, element: layout.element, into: keyTile)
                KVRows.load(base, index: valueIndex, n: rows * d, element: layout.element, into: valueTile)
                // Queries before this block's first position see none of it.
                for t in max(0, start - first)..<tokens {
                    let visible = min(rows, first + t + 1 - start)
                    for h in (kvHead * group)..<((kvHead + 1) * group) {
                        let q = queries + (t * headCount + h) * d
                        let o = out + (t * headCount + h) * d
                        let state = t * headCount + h
                        // s_j = q · k_j / √d, and the tile's max.
                        var tileMax = -Float.infinity
                        for j in 0..<visible {
                            let s = dot(q, keyTile + j * d, d) * scale
                            scores[j] = s
                            tileMax = max(tileMax, s)
                        }
                        // M' = max(M, tile max); c = e^(M − M').
                        let newMax = max(runningMax[state], tileMax)
                        let correction = expf(runningMax[state] - newMax)
                        // S' = c·S + Σ e^(s_j − M'); O' = c·O + Σ e^(s_j − M')·v_j.
                        var sum = runningSum[state] * correction
                        if correction != 1 { for i in 0..<d { o[i] *= correction } }
                        for j in 0..<visible {
                            let p = expf(scores[j] - newMax)
                            sum += p
                            let v = valueTile + j * d
                            for i in 0..<d { o[i] += p * v[i] }
                        }
                        runningMax[state] = newMax
                        runningSum[state] = sum
                    }
                }
            }
        }
        // out = O / S.
        for state in 0..<(tokens * headCount) {
            let inverse = 1 / runningSum[state]
            let o = out + state * d
            for i in 0..<d { o[i] *= inverse }
        }
    }
}
