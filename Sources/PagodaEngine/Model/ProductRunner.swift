import Synchronization

/// Runs the matrix products of a forward pass on the thread pool: `y = W·x` for one matrix,
/// or for up to three matrices that share their input (q, k, v; gate, up) in a single pool
/// run, so the threads meet once instead of three times.
///
/// The input is quantized to 8-bit blocks once: on the calling thread for decode, by all
/// threads (a pool run of its own, each quantizing and packing whole tiles of 8 tokens) for
/// prefill. The threads then claim chunks of rows (multiples of 8, the packed kernel's tile
/// height) from a shared counter until none is left, so a thread slowed by another process
/// on its core takes fewer chunks instead of holding the others up at the end; a row's
/// result does not depend on which thread computes it. The jobs the threads run are
/// closures made at init that read the product in flight from this object, so a product
/// allocates nothing. Not reentrant.
final class ProductRunner: @unchecked Sendable {
    /// One matrix and where its `tokens × rows` outputs go (row `t` at `y + t · stride`).
    struct Output {
        let matrix: QuantizedMatrix
        let y: UnsafeMutablePointer<Float>
        let stride: Int
    }

    private enum Path { case float, quantized, packed }

    let pool: ThreadPool
    private let state: RunState
    /// Integer dot products on 8-bit activations where the weight type has them; otherwise
    /// exact float products on dequantized rows.
    var quantizedActivations = true

    /// Whether each input row is a different sequence's token (a decode step, the last rows
    /// of a batch's segments), set by the caller before its products. Up to
    /// `QuantizedMatrix.matvecBatchTokens` such rows take the mat-vec kernel per token, so
    /// each gets exactly its single-token result; rows of one sequence's prompt always take
    /// the packed product, so a prefix gives the same numbers whatever follows it.
    var independentRows = false

    // The product in flight, read by every thread during `pool.run`.
    private var outputs: (Output?, Output?, Output?) = (nil, nil, nil)
    private var input: UnsafeMutablePointer<Float>
    private var tokens = 0
    private var gated = false
    private var activation = FamilyTraits.Activation.silu
    private var columns = 0
    private var job: ((Int) -> Void)?
    private var packJob: ((Int) -> Void)?
    /// The next chunk to claim, and the chunking of the product in flight: output `i`'s rows
    /// in chunks of `chunkRows.i`, chunks numbered output after output (the gate's chunks
    /// cover the up rows too when the gate is fused).
    private let nextChunk = Atomic<Int>(0)
    private var chunkRows = (0, 0, 0)
    private var chunkCounts = (0, 0, 0)

    init(pool: ThreadPool, state: RunState) {
        self.pool = pool
        self.state = state
        input = state.xb
        job = { [unowned self] part in self.work(part) }
        packJob = { [unowned self] part in self.quantizeAndPack(part) }
    }

    /// `a.y = a.matrix · x` (and the same for `b`, `c`) for `tokens` input vectors of
    /// `columns` floats, one after the other. All matrices must have the same column count.
    func multiply(_ x: UnsafeMutablePointer<Float>, tokens: Int, _ a: Output, _ b: Output? = nil, _ c: Output? = nil) {
        run(x, tokens: tokens, a, b, c, gated: false)
    }

    /// The gated feed-forward's first half: `gate.y = act(Wgate · x) ⊙ (Wup · x)` with the
    /// family's activation (SiLU or GELU), `up.y` as scratch. Each thread applies the gate to
    /// every chunk of rows it computed, in the same pool run.
    func multiplyGated(_ x: UnsafeMutablePointer<Float>, tokens: Int, gate: Output, up: Output, activation: FamilyTraits.Activation = .silu) {
        precondition(gate.matrix.rows == up.matrix.rows, "gate and up have the same shape")
        self.activation = activation
        run(x, tokens: tokens, gate, up, nil, gated: true)
    }

    private func run(_ x: UnsafeMutablePointer<Float>, tokens: Int, _ a: Output, _ b: Output?, _ c: Output?, gated: Bool) {
        let columns = a.matrix.columns
        precondition(b.map { $0.matrix.columns == columns } ?? true && c.map { $0.matrix.columns == columns } ?? true,
                     "matrices sharing an input have the same width")
        outputs = (a, b, c)
        self.tokens = tokens
        // Fused when both take the same path; a mixed pair is gated after the run.
        self.gated = gated && b.map { path($0) == path(a) } ?? false
        input = x
        var quantize = false, pack = false
        forEachOutput { output in
            let p = path(output)
            quantize = quantize || p != .float
            pack = pack || p == .packed
        }
        self.columns = columns
        planChunks()
        if pack {
            pool.run(packJob!)
        } else if quantize {
            let blocks = columns / 32
            for t in 0..<tokens { IntegerDot.quantize(x + t * columns, count: columns, into: state.activations + t * blocks) }
        }
        pool.run(job!)
        if gated && !self.gated, let up = b {
            for t in 0..<tokens { Ops.gated(activation, a.y + t * a.stride, up.y + t * up.stride, n: a.matrix.rows) }
        }
    }

    /// Thread `part`'s tiles of 8 tokens: quantized, then packed for the prefill kernel.
    private func quantizeAndPack(_ part: Int) {
        let tiles = (tokens + 7) / 8, parts = pool.threadCount
        let mine = (tiles * part / parts)..<(tiles * (part + 1) / parts)
        guard !mine.isEmpty else { return }
        let blocks = columns / 32
        for t in (8 * mine.lowerBound)..<min(tokens, 8 * mine.upperBound) {
            IntegerDot.quantize(input + t * columns, count: columns, into: state.activations + t * blocks)
        }
        QuantizedMatrix.packActivations(state.activations, tokens: tokens, columns: columns, into: state.packedActivations, tiles: mine)
    }

    private func path(_ output: Output) -> Path {
        guard output.matrix.hasIntegerDot && quantizedActivations else { return .float }
        if tokens == 1 || (independentRows && tokens <= QuantizedMatrix.matvecBatchTokens) { return .quantized }
        return KernelSet.current.hasAVX2 ? .packed : .quantized
    }

    private func forEachOutput(_ body: (Output) -> Void) {
        if let a = outputs.0 { body(a) }
        if let b = outputs.1 { body(b) }
        if let c = outputs.2 { body(c) }
    }

    /// Rows per chunk: at least 64 (a few microseconds of work, against one atomic
    /// increment), and at most a 16th of a thread's share, so the last chunks even out.
    static func chunkRows(rows: Int, threads: Int) -> Int {
        let share = rows / (16 * max(1, threads))
        return max(64, (share + 7) / 8 * 8)
    }

    private func planChunks() {
        func plan(_ output: Output?, skip: Bool = false) -> (rows: Int, count: Int) {
            guard let output, !skip else { return (0, 0) }
            let size = Self.chunkRows(rows: output.matrix.rows, threads: pool.threadCount)
            return (size, (output.matrix.rows + size - 1) / size)
        }
        let a = plan(outputs.0), b = plan(outputs.1, skip: gated), c = plan(outputs.2)
        chunkRows = (a.rows, b.rows, c.rows)
        chunkCounts = (a.count, b.count, c.count)
        nextChunk.store(0, ordering: .relaxed)
    }

    /// Claims chunks until every output's rows are done (and applies the fused gate to the
    /// rows of each gate chunk).
    private func work(_ part: Int) {
        let total = chunkCounts.0 + chunkCounts.1 + chunkCounts.2
        while true {
            var chunk = nextChunk.wrappingAdd(1, ordering: .relaxed).oldValue
            guard chunk < total else { return }
            if chunk < chunkCounts.0, let a = outputs.0 {
                let rows = chunkRange(chunk, size: chunkRows.0, of: a)
                work(part, a, rows)
                if gated, let up = outputs.1 {
                    work(part, up, rows)
                    for t in 0..<tokens {
                        Ops.gated(activation, a.y + t * a.stride + rows.lowerBound, up.y + t * up.stride + rows.lowerBound, n: rows.count)
                    }
                }
                continue
            }
            chunk -= chunkCounts.0
            if chunk < chunkCounts.1, let b = outputs.1 {
                work(part, b, chunkRange(chunk, size: chunkRows.1, of: b))
                continue
            }
            chunk -= chunkCounts.1
            if let c = outputs.2 { work(part, c, chunkRange(chunk, size: chunkRows.2, of: c)) }
        }
    }

    private func chunkRange(_ chunk: Int, size: Int, of output: Output) -> Range<Int> {
        (chunk * size)..<min(output.matrix.rows, (chunk + 1) * size)
    }

    private func work(_ part: Int, _ output: Output, _ rows: Range<Int>) {
        let w = output.matrix, s = state
        switch path(output) {
        case .packed:
            w.multiplyPacked(s.packedActivations, tokens: tokens, into: output.y, yStride: output.stride, rowRange: rows,
                             scratch: s.packedScratch + part * s.packedScratchStride)
        case .quantized:
            w.multiplyQuantized(s.activations, tokens: tokens, into: output.y, yStride: output.stride, rowRange: rows,
                                decoded: UnsafeMutableRawPointer(s.threadScratch + part * s.scratchStride))
        case .float:
            w.multiply(input, tokens: tokens, into: output.y, yStride: output.stride, rowRange: rows,
                       scratch: s.threadScratch + part * s.scratchStride)
        }
    }
}
