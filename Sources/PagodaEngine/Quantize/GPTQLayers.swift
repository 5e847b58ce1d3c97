/// GPTQ over a whole model: layers in order, each matrix calibrated on the inputs the
/// already-quantized matrices before it produce (q, k, v on the normed hidden states; o on
/// the attention computed with the quantized q, k, v; gate and up on the normed states
/// after the quantized attention; down on their quantized product), and each layer's
/// quantized output the next layer's input.
///
/// Every matrix whose planned type has a `BlockGrid` gets GPTQ on that grid; the others
/// (F16, Q2_K, Q3_K targets) are rounded to nearest, and the pass goes on with their
/// rounded values. After the last layer the output matrix gets GPTQ on the final states
/// (`GPTQOutput`); a token embedding of its own is a lookup table, not a product, and is
/// rounded to nearest. Cost per layer: its float forward over the calibration tokens, four
/// Gram matrices, and the factorizations (see `GPTQ`).
public final class GPTQLayers: LayerCalibration {
    public let method = "gptq"
    let weights: ModelWeights
    let forward: CalibrationForward
    let gptq: GPTQ
    let pool: ThreadPool

    init(weights: ModelWeights, config: ModelConfig, calibration: CalibrationSet, gptq: GPTQ = GPTQ(), pool: ThreadPool) {
        self.weights = weights
        self.gptq = gptq
        self.pool = pool
        forward = CalibrationForward(config: config, weights: weights, calibration: calibration, pool: pool)
    }

    public func tensors(layer l: Int, plan: [String: QuantizationPlan.Tensor], isCancelled: () -> Bool) throws -> [String: [UInt8]] {
        guard l < weights.layers.count else { return [:] }
        let c = forward.config, d = c.embeddingLength, ff = c.feedForwardLength
        let qDim = c.headCount * c.headDimension, kvDim = c.kvHeadCount * c.headDimension
        var layer = FloatLayer(weights.layers[l])
        let name = FloatLayer.names(layer: l)
        var out: [String: [UInt8]] = [:]

        /// Quantizes one matrix (rows × columns) given its inputs' Hessian, keeps the bytes,
        /// and leaves its quantized values in `w` for what follows.
        func quantize(_ tensor: String, _ w: inout [Float], rows: Int, columns: Int, hessian: [Double]) throws {
            guard let t = plan[tensor], t.isConverted else { return }
            if isCancelled() { throw QuantizeError.cancelled }
            let bytes: [UInt8]
            if let grid = BlockGrid(t.to), columns % grid.span == 0 {
                bytes = try gptq.quantize(weights: w, rows: rows, columns: columns, hessian: hessian, type: t.to, pool: pool)
            } else {
                bytes = try ModelQuantizer.quantizeRows(w, rowLength: columns, to: t.to, tensor: tensor, pool: pool)
            }
            out[tensor] = bytes
            w = try dequantized(bytes, type: t.to, count: w.count)
        }

        let x = forward.normed(layer.attentionNorm)
        let hx = gramMatrix(x, columns: d, pool: pool)
        try quantize(name.q, &layer.wq, rows: qDim, columns: d, hessian: hx)
        try quantize(name.k, &layer.wk, rows: kvDim, columns: d, hessian: hx)
        try quantize(name.v, &layer.wv, rows: kvDim, columns: d, hessian: hx)
        let attention = forward.attentionInput(of: x, layer)
        try quantize(name.o, &layer.wo, rows: d, columns: qDim, hessian: gramMatrix(attention, columns: qDim, pool: pool))
        forward.addToHidden(forward.linear(attention, layer.wo, outputs: d))

        let y = forward.normed(layer.ffnNorm)
        let hy = gramMatrix(y, columns: d, pool: pool)
        try quantize(name.gate, &layer.gate, rows: ff, columns: d, hessian: hy)
        try quantize(name.up, &layer.up, rows: ff, columns: d, hessian: hy)
        let product = forward.gated(forward.linear(y, layer.gate, outputs: ff), forward.linear(y, layer.up, outputs: ff))
        try quantize(name.down, &layer.down, rows: d, columns: ff, hessian: gramMatrix(product, columns: ff, pool: pool))
        forward.addToHidden(forward.linear(product, layer.down, outputs: d))
        return out
    }
}
