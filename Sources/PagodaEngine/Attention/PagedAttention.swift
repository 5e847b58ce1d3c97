import CKernels
import Foundation

/// Flash-style attention over a sequence's KV blocks.
///
/// Queries are `tokens` consecutive positions `first, first+1, …`; query `t` sees keys at
/// positions `0…first+t` (causal). The unit of work is one token and one KV head: it walks
/// that head's blocks in order, one tile of at most `B × headDim` keys and values at a time,
/// and runs every query head of the group (GQA: `headCount / kvHeadCount` of them) over the
/// tile while it is in L1, so the tile comes from memory once. Per query head it keeps a
/// running max `M`, running sum `S` and running output `O` (online softmax):
///
///     s_j   = q · k_j / √d                     scores of this tile
///     M'    = max(M, max_j s_j)                new running max
///     c     = e^(M − M')                       rescales what was summed under the old max
///     S'    = c·S + Σ_j e^(s_j − M')
///     O'    = c·O + Σ_j e^(s_j − M') · v_j
///     out   = O / S                            after the last tile
///
/// No score matrix is formed: scratch is one row of scores per thread (plus, on the scalar
/// path, one tile of keys and values converted to floats). With the AVX2 kernels the tiles
/// are read in place in the cache's element type; key tiles are dimension-major (see
/// `KVCacheLayout`), so eight scores come out of one register.
///
/// Units are dealt round-robin to the threads of a pool, so causal prefill stays balanced.
/// When there are fewer (token, KV head) units than twice the threads — decode — each one's
/// blocks are split into ranges that run on different threads (split-K, as in
/// flash-decoding), and the ranges' partial states are merged afterwards:
/// `M = max M_i`, `S = Σ e^(M_i − M)·S_i`, `O = Σ e^(M_i − M)·O_i`.
/// Cost: O(tokens · heads · context · d) multiply-adds, no allocation (the threads run one
/// closure made at init, which reads the call in flight from this object). Not reentrant.
final class PagedAttention: @unchecked Sendable {
    let layout: KVCacheLayout
    let headCount: Int
    /// Query heads per KV head.
    private let group: Int
    /// Per thread: key tile, value tile, scores of the heads one pass of the C kernel reads
    /// a tile for (`headsPerPass`), and `M`, `S` of each query head of a group
    /// (`2 · tileElements + headsPerPass · blockTokens + 2 · group` floats).
    private let scratch: UnsafeMutablePointer<Float>
    private let scratchStride: Int
    private let threads: Int
    private let maxQueries: Int
    /// Partial states of split units: per unit and query head of its group, `M`, `S` and the
    /// `d` floats of `O`. Splitting happens when units < 2 · threads, so there are fewer
    /// than 4 · threads split units.
    private let partials: UnsafeMutablePointer<Float>

    /// The call in flight, read by every thread during a pool run.
    private struct Call {
        var queries: UnsafePointer<Float>
        var tokens: Int
        var first: Int
        var blocks: UnsafeBufferPointer<Int>
        var layer: Int
        var pool: BlockPool
        var out: UnsafeMutablePointer<Float>
        var kvHeads: Int
        /// Keys each query sees, itself included (sliding-window layers); nil: all before it.
        var window: Int?
        /// Block ranges per (token, KV head); with 1, units write `out` directly.
        var splits = 1
        var parts = 1
        var units: Int { tokens * kvHeads * splits }
    }
    private var call: Call?
    /// Query heads `pagoda_attend_tile_heads` scores in one pass over a tile.
    static let headsPerPass = Int(PAGODA_ATTEND_HEADS_PER_PASS)
    private var job: ((Int) -> Void)?

    /// Scratch for up to `maxTokens` queries of `headCount` heads, on up to `threads` threads.
    init(layout: KVCacheLayout, headCount: Int, maxTokens: Int, threads: Int = 1) {
        precondition(headCount % layout.kvHeadCount == 0)
        self.layout = layout
        self.headCount = headCount
        group = headCount / layout.kvHeadCount
        self.threads = max(1, threads)
        maxQueries = maxTokens * headCount
        scratchStride = 2 * layout.tileElements + Self.headsPerPass * layout.blockTokens + 2 * group
        scratch = .allocate(capacity: scratchStride * self.threads)
        partials = .allocate(capacity: 4 * self.threads * group * (layout.headDimension + 2))
        job = { [unowned self] part in
            guard let c = self.call else { return }
            for unit in stride(from: part, to: c.units, by: c.parts) { self.attend(unit, c, part: part) }
        }
    }

    deinit {
        scratch.deallocate()
        partials.deallocate()
    }

    /// Attention for `tokens` queries in `layer`.
    /// - `queries`: `tokens × headCount × headDim` (query `t`, head `h` at `(t·H + h)·d`).
    /// - `out`: same shape; overwritten.
    /// - `table`: the sequence's block table, covering positions `0..<first+tokens` whose keys
    ///   and values (including this chunk's) are already stored in `pool`.
    /// - `window`: for a sliding-window layer, the keys a query sees, itself included (the
    ///   query at position p attends to positions `max(0, p − window + 1)…p`); nil: all.
    /// - `threads`: splits the work when given (at most the thread count this was made for).
    func run(
        queries: UnsafePointer<Float>, tokens: Int, first: Int, table: [Int], layer: Int,
        pool: BlockPool, out: UnsafeMutablePointer<Float>, window: Int? = nil, threads: ThreadPool? = nil
    ) {
        precondition(window.map { $0 > 0 } ?? true, "a window holds at least the query's own key")
        precondition(tokens * headCount <= maxQueries)
        let parts = threads?.threadCount ?? 1
        precondition(parts <= self.threads, "attention scratch is for \(self.threads) threads")
        table.withUnsafeBufferPointer { blocks in
            var c = Call(queries: queries, tokens: tokens, first: first, blocks: blocks, layer: layer, pool: pool, out: out,
                         kvHeads: layout.kvHeadCount, window: window, parts: parts)
            let pairs = tokens * layout.kvHeadCount
            if parts > 1 && pairs < 2 * parts {
                // Two units per thread, but no more ranges than the first token's blocks.
                let B = layout.blockTokens
                let blocksSeen = min((first + B) / B, window.map { ($0 + B - 1) / B + 1 } ?? .max)
                c.splits = max(1, min((2 * parts + pairs - 1) / pairs, blocksSeen))
            }
            if let threads, parts > 1, c.units > 1 {
                call = c
                threads.run(job!)
                call = nil
            } else {
                c.parts = 1
                for unit in 0..<c.units { attend(unit, c, part: 0) }
            }
            if c.splits > 1 { merge(c) }
        }
    }

    /// One unit: a token, a KV head and a range of its visible blocks, for every query head
    /// of the group. Writes `out = O / S`, or the partial state when blocks are split.
    private func attend(_ unit: Int, _ c: Call, part: Int) {
        let d = layout.headDimension, B = layout.blockTokens
        let split = unit % c.splits, pair = unit / c.splits
        let t = pair / c.kvHeads, kvHead = pair % c.kvHeads
        let scale = 1 / Float(d).squareRoot()
        let length = c.first + t + 1
        // Visible positions start..<length: blocks firstBlock..<visible, the first of them
        // from row start % B.
        let start = c.window.map { max(0, length - $0) } ?? 0
        let firstBlock = start / B, visible = (length + B - 1) / B, count = visible - firstBlock
        let keyIndex = layout.tileOffset(layer: c.layer, value: false, head: kvHead)
        let valueIndex = layout.tileOffset(layer: c.layer, value: true, head: kvHead)
        let elementBytes = layout.element.bytes, f16: Int32 = layout.element == .f16 ? 1 : 0
        let keyTile = scratch + part * scratchStride, valueTile = keyTile + layout.tileElements
        let scores = valueTile + layout.tileElements
        let query = { (g: Int) in c.queries + (t * self.headCount + kvHead * self.group + g) * d }
        // Per query head g: M and S at state(g), O at output(g).
        let splitState = c.splits > 1 ? partials + unit * group * (d + 2) : nil
        let state = { (g: Int) in splitState.map { $0 + g * (d + 2) } ?? scores + Self.headsPerPass * B + 2 * g }
        let output = { (g: Int) in splitState.map { $0 + g * (d + 2) + 2 } ?? c.out + (t * self.headCount + kvHead * self.group + g) * d }
        for g in 0..<group {
            state(g)[0] = -.infinity
            state(g)[1] = 0
            output(g).update(repeating: 0, count: d)
        }
        for logical in (firstBlock + count * split / c.splits)..<(firstBlock + count * (split + 1) / c.splits) {
            // Rows skip..<skip + rows of the tile: keys are dimension-major, so the tile from
            // row `skip` starts `skip` elements in with the same stride; values `skip · d` in.
            let skip = logical == firstBlock ? start - logical * B : 0
            let rows = min(B, length - logical * B) - skip
            let base = UnsafeRawPointer(c.pool.blockBase(c.blocks[logical]))
            let keyIndex = keyIndex + skip, valueIndex = valueIndex + skip * d
            if KernelSet.current.hasVNNI {
                // Every head of the group in one call: each key and value read once per three heads.
                pagoda_attend_tile_heads(query(0), Int32(group), base + keyIndex * elementBytes, Int32(B), base + valueIndex * elementBytes,
                                         Int32(rows), Int32(d), f16, scale, state(0), Int32(c.splits > 1 ? d + 2 : 2),
                                         output(0), Int32(c.splits > 1 ? d + 2 : d), scores)
            } else if KernelSet.current.hasAVX2 {
                for g in 0..<group {
                    pagoda_attend_tile(query(g), base + keyIndex * elementBytes, Int32(B), base + valueIndex * elementBytes,
                                       Int32(rows), Int32(d), f16, scale, state(g), output(g), scores)
                }
            } else {
                KVRows.load(base, index: keyIndex, n: (d - 1) * B + rows, element: layout.element, into: keyTile)
                KVRows.load(base, index: valueIndex, n: rows * d, element: layout.element, into: valueTile)
                for g in 0..<group {
                    var s = (max: state(g)[0], sum: state(g)[1])
                    Self.attendTileScalar(query(g), keys: keyTile, keyStride: B, values: valueTile, rows: rows, d: d, scale: scale,
                                          state: &s, out: output(g), scores: scores)
                    state(g)[0] = s.max
                    state(g)[1] = s.sum
                }
            }
        }
        guard c.splits == 1 else { return }
        for g in 0..<group {
            let inverse = 1 / state(g)[1], o = output(g)
            for i in 0..<d { o[i] *= inverse }
        }
    }

    /// Combines the split units' partial states into `out`.
    private func merge(_ c: Call) {
        let d = layout.headDimension
        for pair in 0..<(c.tokens * c.kvHeads) {
            let t = pair / c.kvHeads, kvHead = pair % c.kvHeads
            for g in 0..<group {
                func partial(_ split: Int) -> UnsafeMutablePointer<Float> { partials + ((pair * c.splits + split) * group + g) * (d + 2) }
                var m = -Float.infinity
                for split in 0..<c.splits { m = max(m, partial(split)[0]) }
                let o = c.out + (t * headCount + kvHead * group + g) * d
                o.update(repeating: 0, count: d)
                var sum: Float = 0
                for split in 0..<c.splits where partial(split)[1] > 0 {
                    let w = expf(partial(split)[0] - m)
                    sum += w * partial(split)[1]
                    let po = partial(split) + 2
                    for i in 0..<d { o[i] += w * po[i] }
                }
                let inverse = 1 / sum
                for i in 0..<d { o[i] *= inverse }
            }
        }
    }

    /// The online-softmax step of `pagoda_attend_tile` on float tiles: the scalar twin. Keys
    /// are dimension-major (key `j`'s element `i` at `keys[i · keyStride + j]`), values
    /// token-major.
    static func attendTileScalar(
        _ q: UnsafePointer<Float>, keys: UnsafePointer<Float>, keyStride: Int, values: UnsafePointer<Float>, rows: Int, d: Int,
        scale: Float, state: inout (max: Float, sum: Float), out o: UnsafeMutablePointer<Float>,
        scores: UnsafeMutablePointer<Float>
    ) {
        // s_j = q · k_j / √d, and the tile's max.
        var tileMax = -Float.infinity
        for j in 0..<rows {
            var s: Float = 0
            for i in 0..<d { s += q[i] * keys[i * keyStride + j] }
            s *= scale
            scores[j] = s
            tileMax = max(tileMax, s)
        }
        // M' = max(M, tile max); c = e^(M − M').
        let newMax = max(state.max, tileMax)
        let correction = expf(state.max - newMax)
        // S' = c·S + Σ e^(s_j − M'); O' = c·O + Σ e^(s_j − M')·v_j.
        var sum = state.sum * correction
        if correction != 1 { for i in 0..<d { o[i] *= correction } }
        for j in 0..<rows {
            let p = expf(scores[j] - newMax)
            sum += p
            let v = values + j * d
            for i in 0..<d { o[i] += p * v[i] }
        }
        state = (newMax, sum)
    }
}
