import Foundation

/// One transformer layer's weights as Float: matrices `out × in`, row-major (row r holds
/// output r's weights over the inputs, as the GGUF stores them), dequantized from whatever
/// type the file has. What AWQ rescales and GPTQ rounds; about 4·(parameters of a layer)
/// bytes (Qwen2.5-0.5B: 60 MB).
struct FloatLayer {
    var attentionNorm: [Float]
    var wq: [Float], wk: [Float], wv: [Float], wo: [Float]
    var bq: [Float]?, bk: [Float]?, bv: [Float]?
    var ffnNorm: [Float]
    var gate: [Float], up: [Float], down: [Float]

    /// A matrix's rows as Float (rows × columns).
    static func dense(_ m: QuantizedMatrix) -> [Float] {
        var out = [Float](repeating: 0, count: m.rows * m.columns)
        out.withUnsafeMutableBufferPointer { o in
            for r in 0..<m.rows { m.dequantizeRow(r, into: o.baseAddress! + r * m.columns) }
        }
        return out
    }

    init(_ weights: ModelWeights.Layer) {
        let dense = Self.dense
        attentionNorm = weights.attentionNorm
        wq = dense(weights.wq); wk = dense(weights.wk); wv = dense(weights.wv); wo = dense(weights.wo)
        bq = weights.bq; bk = weights.bk; bv = weights.bv
        ffnNorm = weights.ffnNorm
        gate = dense(weights.gate); up = dense(weights.up); down = dense(weights.down)
    }

    /// The tensor names of layer `l`, matrix by matrix.
    static func names(layer l: Int) -> (q: String, k: String, v: String, o: String, gate: String, up: String, down: String) {
        let p = "blk.\(l)."
        return (p + "attn_q.weight", p + "attn_k.weight", p + "attn_v.weight", p + "attn_output.weight",
                p + "ffn_gate.weight", p + "ffn_up.weight", p + "ffn_down.weight")
    }
}

/// The float forward pass of the calibration windows, one layer at a time over all of them
/// (not one token at a time over all layers), so a quantizer can see every input of a
/// layer's matrices before it changes them, and run the next layer on what the changed
/// layer computes. Exact float arithmetic: no 8-bit activations, no KV cache (attention is
/// causal within each window).
///
/// Memory: the hidden states (tokens × d_model floats) plus, while a layer runs, its
/// inputs and outputs (tokens × feed-forward floats each; 8192 tokens of Qwen2.5-0.5B:
/// 160 MB each).
final class CalibrationForward {
    let config: ModelConfig
    let windowLength: Int
    let tokenCount: Int
    /// tokens × d_model: the input of the next layer.
    var hidden: [Float]
    let pool: ThreadPool
    private let rope: RoPE

    init(config: ModelConfig, weights: ModelWeights, calibration: CalibrationSet, pool: ThreadPool) {
        self.config = config
        self.pool = pool
        let length = calibration.windows.first?.count ?? 0
        precondition(calibration.windows.allSatisfy { $0.count == length })
        windowLength = length
        tokenCount = calibration.tokenCount
        let d = config.embeddingLength
        var hidden = [Float](repeating: 0, count: calibration.tokenCount * d)
        hidden.withUnsafeMutableBufferPointer { h in
            for (t, token) in calibration.windows.joined().enumerated() { weights.tokenEmbedding.dequantizeRow(Int(token), into: h.baseAddress! + t * d) }
        }
        self.hidden = hidden
        rope = RoPE(config: config, frequencyFactors: weights.ropeFrequencyFactors)
    }

    /// RMSNorm of every hidden state, times `weight`.
    func normed(_ weight: [Float]) -> [Float] {
        let d = config.embeddingLength, epsilon = config.rmsNormEpsilon
        var out = [Float](repeating: 0, count: hidden.count)
        hidden.withUnsafeBufferPointer { h in
            out.withUnsafeMutableBufferPointer { o in
                for t in 0..<tokenCount { Ops.rmsNorm(h.baseAddress! + t * d, weight: weight, epsilon: epsilon, n: d, into: o.baseAddress! + t * d) }
            }
        }
        return out
    }

    /// `x · Wᵀ (+ bias)` for x of tokens × `inputs`, W of `outputs` × `inputs`.
    /// Cost: 2·tokens·inputs·outputs flops.
    func linear(_ x: [Float], _ w: [Float], bias: [Float]? = nil, outputs: Int) -> [Float] {
        Self.linear(x, w, bias: bias, rows: x.count / (w.count / outputs), outputs: outputs, pool: pool)
    }

    static func linear(_ x: [Float], _ w: [Float], bias: [Float]? = nil, rows: Int, outputs: Int, pool: ThreadPool) -> [Float] {
        linear(x, transposed: transposed(w, outputs: outputs, pool: pool), bias: bias, rows: rows, outputs: outputs, pool: pool)
    }

    /// The same with W already transposed (`inputs × outputs`, from `transposed`), for a
    /// matrix used many times.
    static func linear(_ x: [Float], transposed wt: [Float], bias: [Float]? = nil, rows: Int, outputs: Int, pool: ThreadPool) -> [Float] {
        let inputs = wt.count / outputs
        precondition(x.count == rows * inputs)
        var y = [Float](repeating: 0, count: rows * outputs)
        if let bias { for t in 0..<rows { for o in 0..<outputs { y[t * outputs + o] = bias[o] } } }
        x.withUnsafeBufferPointer { a in
            wt.withUnsafeBufferPointer { b in
                y.withUnsafeMutableBufferPointer { c in
                    DenseProducts.multiplyAdd(m: rows, n: outputs, k: inputs, a: a.baseAddress!, lda: inputs, b: b.baseAddress!,
                                              ldb: outputs, c: c.baseAddress!, ldc: outputs, pool: pool)
                }
            }
        }
        return y
    }

    /// Wᵀ (`inputs × outputs`) of W (`outputs × inputs`), the inputs split over `pool`.
    static func transposed(_ w: [Float], outputs: Int, pool: ThreadPool) -> [Float] {
        let inputs = w.count / outputs
        var wt = [Float](repeating: 0, count: w.count)
        w.withUnsafeBufferPointer { source in
            wt.withUnsafeMutableBufferPointer { target in
                nonisolated(unsafe) let from = source.baseAddress!, to = target.baseAddress!
                pool.parallelFor(inputs) { part in
                    for i in part { for o in 0..<outputs { to[i * outputs + o] = from[o * inputs + i] } }
                }
            }
        }
        return wt
    }

    /// Causal softmax(q·kᵀ/√d)·v within each window, after RoPE on q and k (positions from 0
    /// in each window). q: tokens × heads·head_dim; k, v: tokens × kv_heads·head_dim.
    /// `windows` limits it to the first windows (all by default). Per window and head the
    /// scores and the weighted sum are two matrix products (`DenseProducts.block`), in
    /// slices of `attentionSlice` queries that each see only the keys up to their last
    /// query. Cost: about 2·heads·window²·head_dim flops per window; scratch of
    /// window·(window + head_dim) floats per thread.
    func attention(q: [Float], k: [Float], v: [Float], windows: Int? = nil, simd: Bool = KernelSet.current.hasAVX2) -> [Float] {
        let c = config, hd = c.headDimension, qDim = c.headCount * hd, kvDim = c.kvHeadCount * hd
        let T = windowLength, group = c.headCount / c.kvHeadCount
        let windows = min(windows ?? tokenCount / max(1, T), tokenCount / max(1, T)), tokens = windows * T
        precondition(q.count >= tokens * qDim && k.count >= tokens * kvDim && v.count >= tokens * kvDim)
        var q = Array(q[0..<(tokens * qDim)]), k = Array(k[0..<(tokens * kvDim)])
        for t in 0..<tokens {
            q.withUnsafeMutableBufferPointer { rope.apply($0.baseAddress! + t * qDim, heads: c.headCount, position: t % T) }
            k.withUnsafeMutableBufferPointer { rope.apply($0.baseAddress! + t * kvDim, heads: c.kvHeadCount, position: t % T) }
        }
        var out = [Float](repeating: 0, count: tokens * qDim)
        let scale = 1 / Float(hd).squareRoot(), slice = Self.attentionSlice
        q.withUnsafeBufferPointer { qb in
            k.withUnsafeBufferPointer { kb in
                v.withUnsafeBufferPointer { vb in
                    out.withUnsafeMutableBufferPointer { ob in
                        nonisolated(unsafe) let Q = qb.baseAddress!, K = kb.baseAddress!, V = vb.baseAddress!, O = ob.baseAddress!
                        pool.parallelFor(windows * c.headCount) { part in
                            let keys = UnsafeMutablePointer<Float>.allocate(capacity: hd * T)
                            let scores = UnsafeMutablePointer<Float>.allocate(capacity: slice * T)
                            defer { keys.deallocate(); scores.deallocate() }
                            for job in part {
                                let w = job / c.headCount, h = job % c.headCount, kvh = h / group
                                // kᵀ of this head: head_dim × T.
                                for j in 0..<T { for e in 0..<hd { keys[e * T + j] = K[(w * T + j) * kvDim + kvh * hd + e] } }
                                for first in stride(from: 0, to: T, by: slice) {
                                    let rows = min(slice, T - first), seen = first + rows
                                    scores.initialize(repeating: 0, count: rows * seen)
                                    DenseProducts.block(rows: rows, n: seen, k: hd, a: Q + (w * T + first) * qDim + h * hd, lda: qDim,
                                                        b: keys, ldb: T, c: scores, ldc: seen, alpha: scale, firstRow: -1, simd: simd)
                                    for r in 0..<rows {
                                        let row = scores + r * seen, last = first + r
                                        var largest = -Float.infinity
                                        for j in 0...last { largest = max(largest, row[j]) }
                                        var total: Float = 0
                                        for j in 0...last { row[j] = expf(row[j] - largest); total += row[j] }
                                        let inverse = 1 / total
                                        for j in 0...last { row[j] *= inverse }
                                        for j in (last + 1)..<seen { row[j] = 0 }
                                    }
                                    DenseProducts.block(rows: rows, n: hd, k: seen, a: scores, lda: seen, b: V + w * T * kvDim + kvh * hd,
                                                        ldb: kvDim, c: O + (w * T + first) * qDim + h * hd, ldc: qDim, alpha: 1,
                                                        firstRow: -1, simd: simd)
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Queries per slice of `attention`: a multiple of the kernel's six-row tile.
    static let attentionSlice = 48

    /// `silu(gate) ⊙ up`, element-wise.
    func gated(_ gate: [Float], _ up: [Float]) -> [Float] {
        var g = gate
        g.withUnsafeMutableBufferPointer { gb in up.withUnsafeBufferPointer { Ops.swiGLU(gb.baseAddress!, $0.baseAddress!, n: gate.count) } }
        return g
    }

    /// hidden += y.
    func addToHidden(_ y: [Float]) {
        precondition(y.count == hidden.count)
        for i in 0..<y.count { hidden[i] += y[i] }
    }

    /// The layer's attention half on the current hidden states: returns the input of `wo`
    /// (the attention output) given the layer's q, k, v weights.
    func attentionInput(of x: [Float], _ layer: FloatLayer) -> [Float] {
        let c = config, qDim = c.headCount * c.headDimension, kvDim = c.kvHeadCount * c.headDimension
        let q = linear(x, layer.wq, bias: layer.bq, outputs: qDim)
        let k = linear(x, layer.wk, bias: layer.bk, outputs: kvDim)
        let v = linear(x, layer.wv, bias: layer.bv, outputs: kvDim)
        return attention(q: q, k: k, v: v)
    }
}

/// `Xᵀ·X / rows` in Double for X of rows × columns: the (halved) Hessian GPTQ needs.
func gramMatrix(_ x: [Float], columns: Int, pool: ThreadPool) -> [Double] {
    let rows = x.count / columns
    var g = [Float](repeating: 0, count: columns * columns)
    x.withUnsafeBufferPointer { xb in
        g.withUnsafeMutableBufferPointer { DenseProducts.addGram(xb.baseAddress!, rows: rows, columns: columns, into: $0.baseAddress!, pool: pool) }
    }
    let scale = 1 / Double(max(1, rows))
    return g.map { Double($0) * scale }
}
