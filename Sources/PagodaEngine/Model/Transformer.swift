/// A decoder-only transformer of any registered family (llama, qwen2, qwen3, gemma3) over
/// quantized weights and a paged KV cache. What differs per family is asked of
/// `config.family` (`FamilyTraits`), never of the architecture's name.
///
/// `forward` runs a chunk of tokens of one sequence through every layer, storing their keys
/// and values in the sequence's blocks; prefill passes many tokens, decode one.
/// `forward(batch:)` runs chunks of several sequences as one pass (continuous batching).
/// Not thread-safe: one forward pass at a time.
final class Transformer: @unchecked Sendable {
    let config: ModelConfig
    let weights: ModelWeights
    let cache: KVCacheManager
    /// Most tokens one forward pass takes; longer prompts are processed in chunks.
    let maxChunk: Int
    private let state: RunState
    private let rope: RoPE
    /// The sliding-window layers' RoPE, where its base differs (gemma3).
    private let slidingRope: RoPE?
    /// Matrix products and attention are split over these threads.
    let pool: ThreadPool
    private let products: ProductRunner
    /// Integer dot products on 8-bit activations where the weight type has them; otherwise
    /// exact float products on dequantized rows.
    var quantizedActivations: Bool {
        get { products.quantizedActivations }
        set { products.quantizedActivations = newValue }
    }

    init(config: ModelConfig, weights: ModelWeights, cache: KVCacheManager, maxChunk: Int = 64, threads: Int = 1) {
        precondition(cache.layout.layerCount == config.layerCount && cache.layout.kvHeadCount == config.kvHeadCount
                     && cache.layout.headDimension == config.headDimension, "KV layout does not match the model")
        self.config = config
        self.weights = weights
        self.cache = cache
        self.maxChunk = maxChunk
        pool = ThreadPool(threads: max(1, threads))
        state = RunState(config: config, layout: cache.layout, maxTokens: maxChunk, threads: pool.threadCount)
        rope = RoPE(config: config, frequencyFactors: weights.ropeFrequencyFactors)
        slidingRope = config.family.slidingRopeBase.map { RoPE(config: config, frequencyFactors: nil, slidingBase: $0) }
        products = ProductRunner(pool: pool, state: state)
    }

    /// Logits of one token, valid until the next forward pass.
    var logits: UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: state.logits, count: config.vocabularySize)
    }

    /// Which tokens of a chunk need logits.
    enum LogitsWanted {
        case none
        case last
        /// Each token's logits, handed to the closure with its index in the chunk.
        case each((Int, UnsafeBufferPointer<Float>) -> Void)
    }

    /// Brings `sequence` to hold all of `context` and returns the logits after its last token.
    /// Reuses what the cache already holds (the sequence's own tokens, cached prefix blocks)
    /// and computes the rest in chunks of `maxChunk`. `each`, if given, receives the logits
    /// after every computed token with its position.
    /// `progress`, if given, is called after each chunk with the number of context tokens
    /// now in the cache; it may throw (for instance `CancellationError`) to stop.
    @discardableResult
    func evaluate(
        _ sequence: SequenceID, context: [TokenID],
        each: ((Int, UnsafeBufferPointer<Float>) -> Void)? = nil,
        progress: ((Int) throws -> Void)? = nil
    ) throws -> UnsafeBufferPointer<Float> {
        for token in context where token < 0 || Int(token) >= config.vocabularySize {
            throw ModelError.tokenOutOfRange(token, vocabulary: config.vocabularySize)
        }
        var position = try cache.prepare(sequence, context: context)
        try progress?(position)
        while position < context.count {
            let end = min(context.count, position + maxChunk)
            let chunk = context[position..<end]
            let start = position
            let wanted: LogitsWanted = each.map { callback in .each { i, row in callback(start + i, row) } } ?? (end == context.count ? .last : .none)
            try forward(chunk, sequence: sequence, logits: wanted)
            position = end
            try progress?(position)
        }
        return logits
    }

    /// Runs `tokens` at the positions after what `sequence` holds, stores their keys and values
    /// and commits them. Throws `KVCacheError.outOfBlocks` (changing nothing) if the pool is
    /// full, `.sequenceTooLong` past the model's context.
    func forward(_ tokens: ArraySlice<TokenID>, sequence: SequenceID, logits wanted: LogitsWanted) throws {
        let T = tokens.count
        precondition(T > 0 && T <= maxChunk, "chunk of \(T) tokens (1…\(maxChunk))")
        try runLayers([Segment(sequence: sequence, tokens: tokens)])
        switch wanted {
        case .none: break
        case .last: finalLogits(rows: [T - 1], into: state.logits)
        case .each(let callback):
            for t in 0..<T {
                finalLogits(rows: [t], into: state.logits)
                callback(t, logits)
            }
        }
    }

    /// One sequence's part of a batched forward pass: tokens that follow what it holds.
    struct Segment {
        let sequence: SequenceID
        let tokens: ArraySlice<TokenID>
    }

    /// A batched forward pass (continuous batching): each segment's tokens run after what
    /// its sequence holds, all rows through every matrix product together, so the weights
    /// are read once for the whole batch; attention reads each sequence's own blocks. Returns
    /// the logits after each segment's last token, row `i` for segment `i`, valid until the
    /// next pass. At most `maxChunk` tokens in all, each sequence once; slots are taken for
    /// all segments or none (`KVCacheError.outOfBlocks` changes nothing).
    func forward(batch segments: [Segment]) throws -> BatchLogits {
        let total = segments.reduce(0) { $0 + $1.tokens.count }
        precondition(!segments.isEmpty && segments.allSatisfy { !$0.tokens.isEmpty } && total <= maxChunk,
                     "batch of \(total) tokens in \(segments.count) segments (1…\(maxChunk) tokens)")
        try runLayers(segments)
        var last: [Int] = []
        var row = 0
        for segment in segments {
            row += segment.tokens.count
            last.append(row - 1)
        }
        let out = state.batchLogits(rows: segments.count)
        finalLogits(rows: last, into: out)
        return BatchLogits(base: out, rows: segments.count, vocabulary: config.vocabularySize)
    }

    /// Logits rows of a batched pass.
    struct BatchLogits {
        let base: UnsafeMutablePointer<Float>
        let rows: Int
        let vocabulary: Int

        subscript(row: Int) -> UnsafeBufferPointer<Float> {
            precondition(row >= 0 && row < rows)
            return UnsafeBufferPointer(start: base + row * vocabulary, count: vocabulary)
        }
    }

    /// Every layer for the rows of `segments` (concatenated in order), their keys and values
    /// stored in each sequence's blocks and committed; leaves the residual stream in `state.x`.
    private func runLayers(_ segments: [Segment]) throws {
        let c = config, s = state
        let d = c.embeddingLength, hd = c.headDimension
        let qDim = c.headCount * hd, kvDim = c.kvHeadCount * hd, ff = c.feedForwardLength
        let slots = try cache.allocateSlots(segments.map { ($0.sequence, $0.tokens.count) }, limit: c.contextLength)
        let pool = cache.pool, layout = cache.layout
        // Each row's position, block and row in its block, and each segment's first row.
        var rows: [(position: Int, block: Int, row: Int)] = []
        var segmentStart: [Int] = []
        for (i, segment) in segments.enumerated() {
            segmentStart.append(rows.count)
            for p in slots[i].first..<(slots[i].first + segment.tokens.count) {
                let (block, row) = slots[i].slot(p)
                rows.append((p, block, row))
            }
        }
        let T = rows.count

        let family = c.family, eps = c.rmsNormEpsilon
        products.independentRows = segments.allSatisfy { $0.tokens.count == 1 }
        // Embedding lookup: x[t] = token_embd[token] (· the family's scale).
        var t = 0
        for segment in segments {
            for token in segment.tokens {
                weights.tokenEmbedding.dequantizeRow(Int(token), into: s.x + t * d)
                if let factor = family.embeddingScale { Ops.scale(s.x + t * d, by: factor, n: d) }
                t += 1
            }
        }

        for (l, layer) in weights.layers.enumerated() {
            let window = family.window(layer: l)
            // Attention: xb = RMSNorm(x) ⊙ w; q, k, v = xb·Wq, xb·Wk, xb·Wv (+ biases).
            for t in 0..<T { Ops.rmsNorm(s.x + t * d, weight: layer.attentionNorm, epsilon: eps, n: d, into: s.xb + t * d) }
            products.multiply(s.xb, tokens: T, .init(matrix: layer.wq, y: s.q, stride: qDim),
                              .init(matrix: layer.wk, y: s.k, stride: kvDim), .init(matrix: layer.wv, y: s.v, stride: kvDim))
            if let b = layer.bq { Ops.addBias(s.q, b, rows: T) }
            if let b = layer.bk { Ops.addBias(s.k, b, rows: T) }
            if let b = layer.bv { Ops.addBias(s.v, b, rows: T) }
            // Per-head RMSNorm of q and k (qwen3, gemma3).
            if let qNorm = layer.qNorm, let kNorm = layer.kNorm {
                Ops.rmsNormEach(s.q, count: T * c.headCount, n: hd, weight: qNorm, epsilon: eps)
                Ops.rmsNormEach(s.k, count: T * c.kvHeadCount, n: hd, weight: kNorm, epsilon: eps)
            }

            // RoPE on q and k, then k and v into each sequence's blocks.
            let layerRope = window != nil ? slidingRope ?? rope : rope
            for (t, slot) in rows.enumerated() {
                layerRope.apply(s.q + t * qDim, heads: c.headCount, position: slot.position)
                layerRope.apply(s.k + t * kvDim, heads: c.kvHeadCount, position: slot.position)
                let base = pool.blockBase(slot.block)
                for h in 0..<c.kvHeadCount {
                    KVRows.storeKey(s.k + t * kvDim + h * hd, n: hd, to: base, tile: layout.tileOffset(layer: l, value: false, head: h),
                                    row: slot.row, blockTokens: layout.blockTokens, element: layout.element)
                    KVRows.store(s.v + t * kvDim + h * hd, n: hd, to: base,
                                 index: layout.tileOffset(layer: l, value: true, head: h) + slot.row * hd, element: layout.element)
                }
            }

            // softmax(q·Kᵀ/√d)·V over each sequence's blocks (the window's, on sliding layers),
            // then x += attention·Wo (normed first where the family has post-norms).
            for (i, segment) in segments.enumerated() {
                let offset = segmentStart[i] * qDim
                s.attentionKernel.run(queries: s.q + offset, tokens: segment.tokens.count, first: slots[i].first, table: slots[i].table,
                                      layer: l, pool: pool, out: s.attention + offset, window: window, threads: self.pool)
            }
            products.multiply(s.attention, tokens: T, .init(matrix: layer.wo, y: s.xb2, stride: d))
            if let norm = layer.postAttentionNorm { Ops.rmsNormEach(s.xb2, count: T, n: d, weight: norm, epsilon: eps) }
            Ops.add(s.x, s.xb2, n: T * d)

            // Feed-forward: x += (act(xb·Wgate) ⊙ xb·Wup)·Wdown with xb = RMSNorm(x) ⊙ w.
            for t in 0..<T { Ops.rmsNorm(s.x + t * d, weight: layer.ffnNorm, epsilon: eps, n: d, into: s.xb + t * d) }
            products.multiplyGated(s.xb, tokens: T, gate: .init(matrix: layer.gate, y: s.gate, stride: ff), up: .init(matrix: layer.up, y: s.up, stride: ff),
                                   activation: family.activation)
            products.multiply(s.gate, tokens: T, .init(matrix: layer.down, y: s.xb2, stride: d))
            if let norm = layer.postFFNNorm { Ops.rmsNormEach(s.xb2, count: T, n: d, weight: norm, epsilon: eps) }
            Ops.add(s.x, s.xb2, n: T * d)
        }
        for segment in segments { try cache.commit(segment.sequence, tokens: segment.tokens) }
    }

    /// Final norm and LM head for residual rows `rows`, into consecutive vocabulary rows of
    /// `out`: one product for all of them, so the output matrix is read once.
    private func finalLogits(rows: [Int], into out: UnsafeMutablePointer<Float>) {
        let d = config.embeddingLength, s = state
        for (i, t) in rows.enumerated() {
            Ops.rmsNorm(s.x + t * d, weight: weights.outputNorm, epsilon: config.rmsNormEpsilon, n: d, into: s.xb + i * d)
        }
        products.independentRows = true  // one row per segment
        products.multiply(s.xb, tokens: rows.count, .init(matrix: weights.output, y: out, stride: config.vocabularySize))
    }
}

public enum ModelError: Error, Equatable, CustomStringConvertible {
    case tokenOutOfRange(TokenID, vocabulary: Int)

    public var description: String {
        switch self {
        case .tokenOutOfRange(let t, let n): "token id \(t) is outside the vocabulary (0..<\(n))"
        }
    }
}
