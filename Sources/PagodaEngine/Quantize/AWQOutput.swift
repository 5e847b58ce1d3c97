import Foundation

/// AWQ on the output matrix, after the last layer: where the model has an output matrix of
/// its own (not the token embedding, whose rows are also the first layer's input), its
/// per-input-channel scales are searched as for any group judged by its own output (the
/// logits, on `searchTokens` of the final normed states and `outputSearchRows` of the
/// vocabulary's rows) and folded into the final RMSNorm's weights, so the float model is
/// unchanged; then its blocks are clipped as the layers' are (`AWQClipping`), on the
/// scaled final states. An output tied to the token embedding takes no scales (nothing
/// before the first layer could undo them) and is only clipped, judged by the logits.
///
/// For Qwen2.5-Coder-0.5B at Q4_1 the output matrix holds a quarter of round-to-nearest's
/// mean KL (0.069 to the F32 copy; 0.051 with a Q8_0 output), out of reach of the layers.
/// Cost: one float copy of the matrix (vocabulary × d_model floats), 40 trial quantizations
/// of its sampled rows and 10 of the whole matrix.
extension AWQLayers {
    static let outputName = "output.weight", outputNormName = "output_norm.weight", tokenEmbeddingName = "token_embd.weight"
    /// Rows of the output matrix clipped at a time (16384 × 896 floats: 59 MB per copy).
    static let clipSliceRows = 16384

    /// The output is the token embedding: no scales can fold into it (its rows are also the
    /// first layer's input), so it is only clipped, judged by the logits.
    var outputIsTied: Bool { weights.file.tensor(named: Self.outputName) == nil }

    public func deferredTensors(plan: [String: QuantizationPlan.Tensor]) -> Set<String> {
        if outputIsTied {
            guard foldOnly == nil, let t = plan[Self.tokenEmbeddingName], t.isConverted, t.to.isQuantized else { return [] }
            return [Self.tokenEmbeddingName]
        }
        guard let t = plan[Self.outputName], t.to.isQuantized || foldOnly != nil, plan[Self.outputNormName] != nil else { return [] }
        return [Self.outputName, Self.outputNormName]
    }

    public func finalTensors(plan: [String: QuantizationPlan.Tensor], isCancelled: () -> Bool) throws -> [String: [UInt8]] {
        guard !deferredTensors(plan: plan).isEmpty else { return [:] }
        if isCancelled() { throw QuantizeError.cancelled }
        let d = forward.config.embeddingLength, rows = weights.output.rows
        let x = forward.normed(weights.outputNorm)
        var w = FloatLayer.dense(weights.output)
        if outputIsTied, let embedding = plan[Self.tokenEmbeddingName] {
            try clipOutput(&w, rows: rows, input: x, type: embedding.to, isCancelled: isCancelled)
            return [Self.tokenEmbeddingName: try ModelQuantizer.quantizeRows(w, rowLength: d, to: embedding.to, tensor: Self.tokenEmbeddingName, pool: pool)]
        }
        guard let output = plan[Self.outputName], let norm = plan[Self.outputNormName] else { return [:] }
        let group = linearGroup(input: x, columns: d, [Member(name: Self.outputName, weights: w, rows: rows, type: foldOnly ?? output.to)],
                                rows: outputSearchRows)
        let s = try searchScale(channelMeans: meanAbs(x, columns: d), weightMeans: Self.weightMeans([w], columns: d),
                                columns: d, members: group.members, error: group.error)
        var outputNorm = weights.outputNorm
        for i in 0..<d { outputNorm[i] /= s[i] }
        Self.scaleColumns(&w, by: s)
        if foldOnly == nil, output.to.isQuantized {
            try clipOutput(&w, rows: rows, input: Self.divideColumns(x, by: s), type: output.to, isCancelled: isCancelled)
        }
        return [Self.outputName: try ModelQuantizer.quantizeRows(w, rowLength: d, to: output.to, tensor: Self.outputName, pool: pool),
                Self.outputNormName: try ModelQuantizer.quantizeRows(outputNorm, rowLength: d, to: norm.to, tensor: Self.outputNormName, pool: pool)]
    }

    /// The output matrix's blocks clipped on its inputs' block Gram matrices, in slices of
    /// rows so the candidates' copies stay small.
    private func clipOutput(_ w: inout [Float], rows: Int, input x: [Float], type: GGMLType, isCancelled: () -> Bool) throws {
        let d = forward.config.embeddingLength
        guard d % type.blockSize == 0 else { return }
        let grams = Self.blockGrams(x, columns: d, span: type.blockSize, pool: pool)
        for first in stride(from: 0, to: rows, by: Self.clipSliceRows) {
            if isCancelled() { throw QuantizeError.cancelled }
            let last = min(rows, first + Self.clipSliceRows)
            var slice = Array(w[(first * d)..<(last * d)])
            try Self.clip(&slice, rows: last - first, grams: grams, type: type, grid: grid, pool: pool)
            w.replaceSubrange((first * d)..<(last * d), with: slice)
        }
    }
}
