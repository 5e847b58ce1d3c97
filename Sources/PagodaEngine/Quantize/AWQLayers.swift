import Foundation

/// AWQ (Lin et al., arXiv 2306.00978) over a whole model, layer by layer on the float
/// model's activations:
///
/// 1. Scales. For each group of matrices that share an input (q/k/v; o; gate/up; down) a
///    per-input-channel scale, normalized to a geometric middle of 1, from two families on
///    the grid α = 0, 1/20, …, 19/20: s = mean|x|^α (the paper's), and
///    s = mean|x|^α / mean|ŵ|^(1−α) with ŵ each weight relative to the largest of its block
///    (AutoAWQ's "duo" scaling, which also weighs how large a channel's weights are where
///    they are rounded). The scale with the least error of the group's output wins, the
///    matrices quantized as Q(W·diag s)·diag s⁻¹ by the target type's reference quantizer:
///    for q/k/v the attention half's output (after o), since the softmax weighs q's and k's
///    errors by the other's magnitude; for gate/up the feed-forward output (after down); for
///    o and down their own outputs.
/// 2. Folding. s multiplies the matrices' input columns and divides what produced their
///    input, so the float model computes the same function: the attention and FFN RMSNorm
///    weights (q/k/v, gate/up), v's rows and bias (o; with grouped-query attention the q
///    heads sharing a v head share its scales), up's rows (down).
/// 3. Clipping. For v, o, gate, up and down (not q and k, whose errors the softmax
///    amplifies), per row and block the weights are clipped to the range with the least
///    output error on the scaled inputs, over every calibration token (`AWQClipping`).
/// 4. The matrices are quantized to their planned types by the reference quantizers.
///
/// The searches use samples (evenly spaced): `searchWindows` whole windows for attention,
/// `searchTokens` tokens and `searchRows` rows per matrix for o and down, `searchChannels`
/// of the hidden channels for gate/up; the channel statistics and clipping use every
/// token. Cost per layer: the float forward over the calibration tokens, 40 trial
/// quantizations of each group with its sampled output, and 10 of every clipped matrix.
public final class AWQLayers: LayerCalibration {
    public let method = "awq"
    let weights: ModelWeights
    let forward: CalibrationForward
    let pool: ThreadPool
    public var grid = 20
    public var searchTokens = 1536
    public var searchWindows = 4
    public var searchChannels = 1024
    public var duoScaling = true
    public var searchRows = 512
    /// Rows of the output matrix (one per vocabulary entry) its scale search is judged on.
    public var outputSearchRows = 4096
    /// For tests: search the scales for this type, fold them, skip clipping and write each
    /// tensor in its planned type (F32 for a float plan), so the folded float model can be
    /// compared with the original.
    var foldOnly: GGMLType?

    init(weights: ModelWeights, config: ModelConfig, calibration: CalibrationSet, pool: ThreadPool) {
        self.weights = weights
        self.pool = pool
        forward = CalibrationForward(config: config, weights: weights, calibration: calibration, pool: pool)
    }

    /// One matrix of a group: its weights (rows × columns) and planned type.
    struct Member {
        let name: String
        var weights: [Float]
        let rows: Int
        let type: GGMLType
    }

    public func tensors(layer l: Int, plan: [String: QuantizationPlan.Tensor], isCancelled: () -> Bool) throws -> [String: [UInt8]] {
        guard l < weights.layers.count else { return [:] }
        let c = forward.config, d = c.embeddingLength, ff = c.feedForwardLength, hd = c.headDimension
        let qDim = c.headCount * hd, kvDim = c.kvHeadCount * hd, group = c.headCount / c.kvHeadCount
        var layer = FloatLayer(weights.layers[l])
        let name = FloatLayer.names(layer: l)
        func type(_ tensor: String) -> GGMLType { foldOnly ?? plan[tensor]?.to ?? .f32 }

        // The float forward, keeping each group's input.
        let x = forward.normed(layer.attentionNorm)
        let attention = forward.attentionInput(of: x, layer)
        forward.addToHidden(forward.linear(attention, layer.wo, outputs: d))
        let y = forward.normed(layer.ffnNorm)
        let product = forward.gated(forward.linear(y, layer.gate, outputs: ff), forward.linear(y, layer.up, outputs: ff))
        forward.addToHidden(forward.linear(product, layer.down, outputs: d))
        if isCancelled() { throw QuantizeError.cancelled }

        // 1. Scales, searched on the unscaled layer. q/k/v by the attention half's output
        // (after o, o unquantized), since the softmax weighs q's and k's errors unevenly (by
        // the other's magnitude, k's bias among it); gate/up by the feed-forward output.
        let qkv = [Member(name: name.q, weights: layer.wq, rows: qDim, type: type(name.q)),
                   Member(name: name.k, weights: layer.wk, rows: kvDim, type: type(name.k)),
                   Member(name: name.v, weights: layer.wv, rows: kvDim, type: type(name.v))]
        let sQKV = try searchScale(channelMeans: meanAbs(x, columns: d), weightMeans: Self.weightMeans([layer.wq, layer.wk, layer.wv], columns: d),
                                   columns: d, members: qkv,
                                   error: attentionError(input: x, layer: layer))
        // o's input channel (h, e) comes from v's row (h / group, e): one scale per v row.
        let attentionMeans = meanAbs(attention, columns: qDim)
        func perVRow(_ perColumn: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: kvDim)
            for h in 0..<c.headCount { for e in 0..<hd { out[(h / group) * hd + e] += perColumn[h * hd + e] / Float(group) } }
            return out
        }
        let expandV: ([Float]) -> [Float] = { s in (0..<qDim).map { s[($0 / hd / group) * hd + $0 % hd] } }
        let o = linearGroup(input: attention, columns: qDim, [Member(name: name.o, weights: layer.wo, rows: d, type: type(name.o))])
        let sV = try searchScale(channelMeans: perVRow(attentionMeans), weightMeans: perVRow(Self.weightMeans([layer.wo], columns: qDim)),
                                 expand: expandV, columns: qDim, members: o.members, error: o.error)
        let sO = expandV(sV)
        let ffn = feedForwardGroup(input: y, layer: layer, gate: Member(name: name.gate, weights: layer.gate, rows: ff, type: type(name.gate)),
                                   up: Member(name: name.up, weights: layer.up, rows: ff, type: type(name.up)))
        let sGateUp = try searchScale(channelMeans: meanAbs(y, columns: d), weightMeans: Self.weightMeans([layer.gate, layer.up], columns: d),
                                      columns: d, members: ffn.members, error: ffn.error)
        let down = linearGroup(input: product, columns: ff, [Member(name: name.down, weights: layer.down, rows: d, type: type(name.down))])
        let sDown = try searchScale(channelMeans: meanAbs(product, columns: ff), weightMeans: Self.weightMeans([layer.down], columns: ff),
                                    columns: ff, members: down.members, error: down.error)
        if isCancelled() { throw QuantizeError.cancelled }

        // 2. Folding: the float function is unchanged.
        for i in 0..<d { layer.attentionNorm[i] /= sQKV[i]; layer.ffnNorm[i] /= sGateUp[i] }
        Self.scaleColumns(&layer.wq, by: sQKV); Self.scaleColumns(&layer.wk, by: sQKV); Self.scaleColumns(&layer.wv, by: sQKV)
        Self.divideRows(&layer.wv, by: sV)
        if layer.bv != nil { for i in 0..<kvDim { layer.bv![i] /= sV[i] } }
        Self.scaleColumns(&layer.wo, by: sO)
        Self.scaleColumns(&layer.gate, by: sGateUp); Self.scaleColumns(&layer.up, by: sGateUp)
        Self.divideRows(&layer.up, by: sDown)
        Self.scaleColumns(&layer.down, by: sDown)

        // 3. Clipping, on the scaled inputs.
        if foldOnly == nil {
            let xScaled = Self.divideColumns(x, by: sQKV), aScaled = Self.divideColumns(attention, by: sO)
            let yScaled = Self.divideColumns(y, by: sGateUp), pScaled = Self.divideColumns(product, by: sDown)
            try Self.clip(&layer.wv, rows: kvDim, input: xScaled, type: type(name.v), grid: grid, pool: pool)
            try Self.clip(&layer.wo, rows: d, input: aScaled, type: type(name.o), grid: grid, pool: pool)
            try Self.clip(&layer.gate, rows: ff, input: yScaled, type: type(name.gate), grid: grid, pool: pool)
            try Self.clip(&layer.up, rows: ff, input: yScaled, type: type(name.up), grid: grid, pool: pool)
            try Self.clip(&layer.down, rows: d, input: pScaled, type: type(name.down), grid: grid, pool: pool)
        }
        if isCancelled() { throw QuantizeError.cancelled }

        // 4. Every changed tensor in its planned type.
        var out: [String: [UInt8]] = [:]
        let p = "blk.\(l)."
        let changed: [(String, [Float], Int)] = [
            (name.q, layer.wq, d), (name.k, layer.wk, d), (name.v, layer.wv, d), (name.o, layer.wo, qDim),
            (name.gate, layer.gate, d), (name.up, layer.up, d), (name.down, layer.down, ff),
            (p + "attn_norm.weight", layer.attentionNorm, d), (p + "ffn_norm.weight", layer.ffnNorm, d),
        ] + (layer.bv.map { [(p + "attn_v.bias", $0, kvDim)] } ?? [])
        for (tensor, values, rowLength) in changed {
            guard let t = plan[tensor] else { continue }
            out[tensor] = try ModelQuantizer.quantizeRows(values, rowLength: rowLength, to: t.to, tensor: tensor, pool: pool)
        }
        return out
    }

    /// The scale of step 1 for one group: for each α, the members' weights times the
    /// scale per input column, quantized to their types, dequantized and divided by it again,
    /// are handed to `error` in member order; the scale with the least error wins.
    /// `channelMeans` has one entry per scale; `expand` maps a scale vector to one per input
    /// column (o's shared v scales).
    func searchScale(channelMeans: [Float], weightMeans: [Float], expand: (([Float]) -> [Float])? = nil, columns: Int, members: [Member],
                     error: ([[Float]]) -> Double) throws -> [Float] {
        var best: (error: Double, scale: [Float])? = nil
        for step in 0..<(duoScaling ? 2 * grid : grid) {
            let alpha = Float(step % grid) / Float(grid)
            var s = step < grid
                ? channelMeans.map { max(powf($0, alpha), 1e-4) }
                : zip(channelMeans, weightMeans).map { max(powf($0, alpha) / (powf($1, 1 - alpha) + 1e-4), 1e-4) }
            let middle = (s.max()! * s.min()!).squareRoot()
            s = s.map { $0 / middle }
            let perColumn = expand?(s) ?? s
            let trial = try members.map { m in
                var scaled = m.weights
                Self.scaleColumns(&scaled, by: perColumn)
                let bytes = try ModelQuantizer.quantizeRows(scaled, rowLength: columns, to: m.type, tensor: m.name, pool: pool)
                var q = try dequantized(bytes, type: m.type, count: scaled.count)
                Self.divideColumnsInPlace(&q, by: perColumn)
                return q
            }
            let e = error(trial)
            if best == nil || e < best!.error { best = (e, s) }
        }
        return best!.scale
    }

    func meanAbs(_ x: [Float], columns: Int) -> [Float] {
        var sums = [Double](repeating: 0, count: columns)
        let rows = x.count / columns
        for t in 0..<rows { for i in 0..<columns { sums[i] += Double(abs(x[t * columns + i])) } }
        return sums.map { Float($0 / Double(max(1, rows))) }
    }

    /// `count` rows of x (rows × columns) evenly spaced, or all of them.
    static func sample<Element>(_ x: [Element], columns: Int, count: Int) -> [Element] {
        let rows = x.count / columns
        guard rows > count else { return x }
        var out: [Element] = []
        out.reserveCapacity(count * columns)
        for i in 0..<count { let r = i * rows / count; out += x[(r * columns)..<((r + 1) * columns)] }
        return out
    }

    static func sampleRows(_ w: [Float], rows: Int, count: Int) -> [Float] { sample(w, columns: w.count / rows, count: count) }

    static func scaleColumns(_ w: inout [Float], by s: [Float]) {
        let columns = s.count
        w.withUnsafeMutableBufferPointer { w in
            for r in 0..<(w.count / columns) { for c in 0..<columns { w[r * columns + c] *= s[c] } }
        }
    }

    static func divideColumnsInPlace(_ w: inout [Float], by s: [Float]) {
        let columns = s.count
        w.withUnsafeMutableBufferPointer { w in
            for r in 0..<(w.count / columns) { for c in 0..<columns { w[r * columns + c] /= s[c] } }
        }
    }

    static func divideColumns(_ x: [Float], by s: [Float]) -> [Float] {
        var y = x
        divideColumnsInPlace(&y, by: s)
        return y
    }

    static func divideRows(_ w: inout [Float], by s: [Float]) {
        let columns = w.count / s.count
        w.withUnsafeMutableBufferPointer { w in
            for r in 0..<s.count { for c in 0..<columns { w[r * columns + c] /= s[r] } }
        }
    }
}
