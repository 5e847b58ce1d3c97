/// GPTQ on the output matrix, after the last layer: its Hessian is that of the final normed
/// states the quantized layers produce, so the logits move as little as they can. Where
/// the output is tied to the token embedding the same rows are also the first layer's
/// input table; they are still judged by the logits alone (SmolLM2-135M's tied Q4_1
/// embedding: mean KL to F32 0.062 by RTN, 0.0135 so; the README's table).
///
/// A matrix the plan leaves in its type, or whose target has no `BlockGrid` (F16, Q2_K,
/// Q3_K) or whose blocks do not divide its rows, is left to RTN. Cost: one float copy of
/// the matrix (vocabulary × d_model floats) and one GPTQ pass over it, vocabulary · d_model²
/// flops.
extension GPTQLayers {
    /// `output.weight`, or `token_embd.weight` when the output is tied to it.
    var outputTensorName: String { weights.file.tensor(named: "output.weight") != nil ? "output.weight" : "token_embd.weight" }

    public func deferredTensors(plan: [String: QuantizationPlan.Tensor]) -> Set<String> {
        let name = outputTensorName
        guard let t = plan[name], t.isConverted, let grid = BlockGrid(t.to), weights.output.columns % grid.span == 0 else { return [] }
        return [name]
    }

    public func finalTensors(plan: [String: QuantizationPlan.Tensor], isCancelled: () -> Bool) throws -> [String: [UInt8]] {
        guard let name = deferredTensors(plan: plan).first, let t = plan[name] else { return [:] }
        if isCancelled() { throw QuantizeError.cancelled }
        let d = forward.config.embeddingLength
        let hessian = gramMatrix(forward.normed(weights.outputNorm), columns: d, pool: pool)
        let w = FloatLayer.dense(weights.output)
        return [name: try gptq.quantize(weights: w, rows: weights.output.rows, columns: d, hessian: hessian, type: t.to, pool: pool)]
    }
}
