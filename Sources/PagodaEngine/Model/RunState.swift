import CKernels

/// Activation buffers for one forward pass over up to `maxTokens` tokens, allocated once.
/// Shapes are `(tokens, width)`, row-major.
final class RunState {
    let maxTokens: Int
    let x: UnsafeMutablePointer<Float>        // (T, d_model) residual stream
    let xb: UnsafeMutablePointer<Float>       // (T, d_model) normed input of a sub-layer
    let xb2: UnsafeMutablePointer<Float>      // (T, d_model) sub-layer output
    let q: UnsafeMutablePointer<Float>        // (T, heads · head_dim)
    let k: UnsafeMutablePointer<Float>        // (T, kv_heads · head_dim)
    let v: UnsafeMutablePointer<Float>        // (T, kv_heads · head_dim)
    let attention: UnsafeMutablePointer<Float> // (T, heads · head_dim)
    let gate: UnsafeMutablePointer<Float>     // (T, ffn)
    let up: UnsafeMutablePointer<Float>       // (T, ffn)
    let logits: UnsafeMutablePointer<Float>   // (vocab) of one token
    /// Logits of a batched pass, one vocabulary row per sequence; grown on demand.
    private var batchRows = 0
    private var batchBuffer: UnsafeMutablePointer<Float>?
    private let vocabularySize: Int
    /// One row scratch per pool thread (`threads × max width`).
    let threadScratch: UnsafeMutablePointer<Float>
    let scratchStride: Int
    let attentionKernel: PagedAttention
    /// Activations quantized to 8 bits: `maxTokens × (widest input / 32)` blocks.
    let activations: UnsafeMutablePointer<pagoda_q8_block>
    /// The same activations packed for the VNNI prefill kernel, and its per-thread scratch.
    let packedActivations: UnsafeMutableRawPointer
    let packedScratch: UnsafeMutableRawPointer
    let packedScratchStride: Int

    init(config c: ModelConfig, layout: KVCacheLayout, maxTokens: Int, threads: Int = 1) {
        self.maxTokens = maxTokens
        let d = c.embeddingLength, qDim = c.headCount * c.headDimension, kvDim = c.kvHeadCount * c.headDimension
        x = .allocate(capacity: maxTokens * d)
        xb = .allocate(capacity: maxTokens * d)
        xb2 = .allocate(capacity: maxTokens * d)
        q = .allocate(capacity: maxTokens * qDim)
        k = .allocate(capacity: maxTokens * kvDim)
        v = .allocate(capacity: maxTokens * kvDim)
        attention = .allocate(capacity: maxTokens * qDim)
        gate = .allocate(capacity: maxTokens * c.feedForwardLength)
        up = .allocate(capacity: maxTokens * c.feedForwardLength)
        logits = .allocate(capacity: c.vocabularySize)
        vocabularySize = c.vocabularySize
        scratchStride = max(d, qDim, c.feedForwardLength)
        threadScratch = .allocate(capacity: scratchStride * max(1, threads))
        activations = .allocate(capacity: maxTokens * (scratchStride / 32 + 1))
        packedActivations = .allocate(byteCount: QuantizedMatrix.packedActivationBytes(tokens: maxTokens, columns: scratchStride), alignment: 64)
        packedScratchStride = QuantizedMatrix.packedScratchBytes(columns: scratchStride)
        packedScratch = .allocate(byteCount: packedScratchStride * max(1, threads), alignment: 64)
        attentionKernel = PagedAttention(layout: layout, headCount: c.headCount, maxTokens: maxTokens, threads: threads)
    }

    /// Room for `rows` rows of logits (`rows × vocab` floats), kept for later passes.
    func batchLogits(rows: Int) -> UnsafeMutablePointer<Float> {
        if rows > batchRows {
            batchBuffer?.deallocate()
            batchBuffer = .allocate(capacity: rows * vocabularySize)
            batchRows = rows
        }
        return batchBuffer!
    }

    deinit {
        batchBuffer?.deallocate()
        for buffer in [x, xb, xb2, q, k, v, attention, gate, up, logits, threadScratch] { buffer.deallocate() }
        activations.deallocate()
        packedActivations.deallocate()
        packedScratch.deallocate()
    }
}
