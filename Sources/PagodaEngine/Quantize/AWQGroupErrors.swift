import Foundation

/// How AWQ's scale search judges a trial (step 1 of `AWQLayers`): each function computes
/// its group's float output once and returns the error of a trial, a function of the
/// members' quantized-and-restored weights in member order. Also the weight statistic of
/// the duo scales.
extension AWQLayers {
    /// A group judged by its own outputs, ‖X·Wᵀ − X·Ŵᵀ‖² summed over the members, on
    /// `searchTokens` of the tokens and `rows` (default `searchRows`) of each member's rows.
    func linearGroup(input x: [Float], columns: Int, _ members: [Member], rows: Int? = nil) -> (members: [Member], error: ([[Float]]) -> Double) {
        let tokens = Self.sample(x, columns: columns, count: searchTokens), n = tokens.count / columns
        let sampled = members.map { m in
            let w = Self.sampleRows(m.weights, rows: m.rows, count: rows ?? searchRows)
            return Member(name: m.name, weights: w, rows: w.count / columns, type: m.type)
        }
        let references = sampled.map { CalibrationForward.linear(tokens, $0.weights, rows: n, outputs: $0.rows, pool: pool) }
        return (sampled, { [pool] trial in
            var total = 0.0
            for (w, reference) in zip(trial, references) {
                let out = CalibrationForward.linear(tokens, w, rows: n, outputs: reference.count / n, pool: pool)
                total += Self.squaredDistance(out, reference)
            }
            return total
        })
    }

    /// q/k/v judged by the attention half's output, o(attention(q, k, v)), over the first
    /// `searchWindows` calibration windows, with o and the biases in float.
    func attentionError(input x: [Float], layer: FloatLayer) -> ([[Float]]) -> Double {
        let c = forward.config, d = c.embeddingLength, hd = c.headDimension
        let qDim = c.headCount * hd, kvDim = c.kvHeadCount * hd
        let windows = min(searchWindows, forward.tokenCount / max(1, forward.windowLength))
        let xs = Array(x[0..<(windows * forward.windowLength * d)])
        let forward = forward, wo = CalibrationForward.transposed(layer.wo, outputs: d, pool: pool)
        func output(_ wq: [Float], _ wk: [Float], _ wv: [Float]) -> [Float] {
            let a = forward.attention(q: forward.linear(xs, wq, bias: layer.bq, outputs: qDim),
                                      k: forward.linear(xs, wk, bias: layer.bk, outputs: kvDim),
                                      v: forward.linear(xs, wv, bias: layer.bv, outputs: kvDim), windows: windows)
            return CalibrationForward.linear(a, transposed: wo, rows: a.count / qDim, outputs: d, pool: forward.pool)
        }
        let reference = output(layer.wq, layer.wk, layer.wv)
        return { trial in Self.squaredDistance(output(trial[0], trial[1], trial[2]), reference) }
    }

    /// gate/up judged by the feed-forward output, down(silu(gate·y) ⊙ up·y) with down in
    /// float, on `searchTokens` of the tokens and `searchChannels` of the hidden channels
    /// (the same rows of gate and up, the matching columns of down).
    func feedForwardGroup(input y: [Float], layer: FloatLayer, gate: Member, up: Member) -> (members: [Member], error: ([[Float]]) -> Double) {
        let d = forward.config.embeddingLength, ff = gate.rows
        let tokens = Self.sample(y, columns: d, count: searchTokens), n = tokens.count / d
        let channels = Self.sample(Array(0..<ff), columns: 1, count: searchChannels), m = channels.count
        func rows(_ w: [Float]) -> [Float] { channels.flatMap { w[($0 * d)..<(($0 + 1) * d)] } }
        // The sampled columns of down, transposed once: m inputs × d outputs.
        var downT = [Float](repeating: 0, count: d * m)
        for r in 0..<d { for (j, ch) in channels.enumerated() { downT[j * d + r] = layer.down[r * ff + ch] } }
        let forward = forward, pool = pool
        func output(_ g: [Float], _ u: [Float]) -> [Float] {
            let h = forward.gated(CalibrationForward.linear(tokens, g, rows: n, outputs: m, pool: pool),
                                  CalibrationForward.linear(tokens, u, rows: n, outputs: m, pool: pool))
            return CalibrationForward.linear(h, transposed: downT, rows: n, outputs: d, pool: pool)
        }
        let members = [Member(name: gate.name, weights: rows(gate.weights), rows: m, type: gate.type),
                       Member(name: up.name, weights: rows(up.weights), rows: m, type: up.type)]
        let reference = output(members[0].weights, members[1].weights)
        return (members, { trial in Self.squaredDistance(output(trial[0], trial[1]), reference) })
    }

    /// Per input column, the mean over the matrices' rows of |w| relative to the largest |w|
    /// of its block of 32: how large a column's weights are where they are rounded.
    static func weightMeans(_ matrices: [[Float]], columns: Int) -> [Float] {
        var sums = [Double](repeating: 0, count: columns)
        var rows = 0
        for w in matrices {
            for r in 0..<(w.count / columns) {
                rows += 1
                for b in stride(from: 0, to: columns, by: 32) {
                    let end = min(columns, b + 32)
                    var largest: Float = 0
                    for i in b..<end { largest = max(largest, abs(w[r * columns + i])) }
                    guard largest > 0 else { continue }
                    for i in b..<end { sums[i] += Double(abs(w[r * columns + i]) / largest) }
                }
            }
        }
        return sums.map { Float($0 / Double(max(1, rows))) }
    }

    static func squaredDistance(_ a: [Float], _ b: [Float]) -> Double {
        var total = 0.0
        for i in 0..<a.count { let e = Double(a[i] - b[i]); total += e * e }
        return total
    }
}
