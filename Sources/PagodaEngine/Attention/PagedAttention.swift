import CKernels
import Foundation

/// Flash-style attention over a sequence's KV blocks.
///
/// Queries are `tokens` consecutive positions `first, first+1, …`; query `t` sees keys at
/// positions `0…first+t` (causal). Each (query, head) pair walks the blocks of its KV head
/// (GQA: `headCount / kvHeadCount` query heads share one) in order, one tile of at most
/// `B × headDim` keys and values at a time, keeping a running max `M`, running sum `S` and
/// running output `O` (online softmax):
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
/// `KVCacheLayout`), so eight scores come out of one register. The (query, head) pairs are independent
/// and are dealt round-robin to the threads of a pool, so causal prefill stays balanced.
/// Cost: O(tokens · heads · context · d) multiply-adds, no allocation (the threads run one
/// closure made at init, which reads the call in flight from this object). Not reentrant.
public final class PagedAttention: @unchecked Sendable {
    public let layout: KVCacheLayout
    public let headCount: Int
    /// Per thread: key tile, value tile, scores (`2 · tileElements + blockTokens` floats).
    private let scratch: UnsafeMutablePointer<Float>
    private let scratchStride: Int
    private let threads: Int
    private let maxQueries: Int

    /// The call in flight, read by every thread during a pool run.
    private struct Call {
        var queries: UnsafePointer<Float>
        var pairs: Int
        var first: Int
        var blocks: UnsafeBufferPointer<Int>
        var layer: Int
        var pool: BlockPool
        var out: UnsafeMutablePointer<Float>
        var parts = 1
    }
    private var call: Call?
    private var job: ((Int) -> Void)?

    /// Scratch for up to `maxTokens` queries of `headCount` heads, on up to `threads` threads.
    public init(layout: KVCacheLayout, headCount: Int, maxTokens: Int, threads: Int = 1) {
        precondition(headCount % layout.kvHeadCount == 0)
        self.layout = layout
        self.headCount = headCount
        self.threads = max(1, threads)
        maxQueries = maxTokens * headCount
        scratchStride = 2 * layout.tileElements + layout.blockTokens
        scratch = .allocate(capacity: scratchStride * self.threads)
        job = { [unowned self] part in
            guard let c = self.call else { return }
            for pair in stride(from: part, to: c.pairs, by: c.parts) { self.attend(pair, c, part: part) }
        }
    }

    public func deallocate() {
        scratch.deallocate()
    }

    /// Attention for `tokens` queries in `layer`.
    /// - `queries`: `tokens × headCount × headDim` (query `t`, head `h` at `(t·H + h)·d`).
    /// - `out`: same shape; overwritten.
    /// - `table`: the sequence's block table, covering positions `0..<first+tokens` whose keys
    ///   and values (including this chunk's) are already stored in `pool`.
    /// - `threads`: splits the work when given (at most the thread count this was made for).
    public func run(
        queries: UnsafePointer<Float>, tokens: Int, first: Int, table: [Int], layer: Int,
        pool: BlockPool, out: UnsafeMutablePointer<Float>, threads: ThreadPool? = nil
    ) {
        precondition(tokens * headCount <= maxQueries)
        table.withUnsafeBufferPointer { blocks in
            var c = Call(queries: queries, pairs: tokens * headCount, first: first, blocks: blocks, layer: layer, pool: pool, out: out)
            if let threads, threads.threadCount > 1, c.pairs > 1 {
                precondition(threads.threadCount <= self.threads, "attention scratch is for \(self.threads) threads")
                c.parts = threads.threadCount
                call = c
                threads.run(job!)
                call = nil
            } else {
                for pair in 0..<c.pairs { attend(pair, c, part: 0) }
            }
        }
    }

    /// One (query, head) pair: every visible block of its KV head, then `out = O / S`.
    private func attend(_ pair: Int, _ c: Call, part: Int) {
        let d = layout.headDimension, B = layout.blockTokens
        let t = pair / headCount, head = pair % headCount
        let kvHead = head / (headCount / layout.kvHeadCount)
        let scale = 1 / Float(d).squareRoot()
        let length = c.first + t + 1
        let q = c.queries + pair * d, o = c.out + pair * d
        let keyIndex = layout.tileOffset(layer: c.layer, value: false, head: kvHead)
        let valueIndex = layout.tileOffset(layer: c.layer, value: true, head: kvHead)
        let elementBytes = layout.element.bytes, f16: Int32 = layout.element == .f16 ? 1 : 0
        let keyTile = scratch + part * scratchStride, valueTile = keyTile + layout.tileElements
        let scores = valueTile + layout.tileElements
        var state: (max: Float, sum: Float) = (-.infinity, 0)
        o.update(repeating: 0, count: d)
        for logical in 0..<((length + B - 1) / B) {
            let rows = min(B, length - logical * B)
            let base = UnsafeRawPointer(c.pool.blockBase(c.blocks[logical]))
            if IntegerDot.simdAvailable {
                withUnsafeMutablePointer(to: &state) { s in
                    s.withMemoryRebound(to: Float.self, capacity: 2) { s in
                        pagoda_attend_tile(q, base + keyIndex * elementBytes, Int32(B), base + valueIndex * elementBytes,
                                           Int32(rows), Int32(d), f16, scale, s, o, scores)
                    }
                }
            } else {
                KVRows.load(base, index: keyIndex, n: B * d, element: layout.element, into: keyTile)
                KVRows.load(base, index: valueIndex, n: rows * d, element: layout.element, into: valueTile)
                Self.attendTileScalar(q, keys: keyTile, keyStride: B, values: valueTile, rows: rows, d: d, scale: scale,
                                      state: &state, out: o, scores: scores)
            }
        }
        let inverse = 1 / state.sum
        for i in 0..<d { o[i] *= inverse }
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
