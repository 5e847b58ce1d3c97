/// The weights of a transformer of any registered family: read-only views into the
/// memory-mapped GGUF (matrices stay in their quantized blocks) plus small f32 copies of
/// norms and biases. Which norms a layer has is the family's (`FamilyTraits`); biases are
/// optional everywhere, as in llama.cpp. Shapes are checked against the configuration; a
/// missing or misshapen tensor is a `GGUFError` naming it.
struct ModelWeights: @unchecked Sendable {
    struct Layer: @unchecked Sendable {
        let attentionNorm: [Float]        // (d_model)
        let wq: QuantizedMatrix           // (d_model) → (heads · head_dim)
        let wk: QuantizedMatrix           // (d_model) → (kv_heads · head_dim)
        let wv: QuantizedMatrix           // (d_model) → (kv_heads · head_dim)
        let bq: [Float]?                  // (heads · head_dim), qwen2
        let bk: [Float]?                  // (kv_heads · head_dim), qwen2
        let bv: [Float]?                  // (kv_heads · head_dim), qwen2
        let qNorm: [Float]?               // (head_dim), families with queryKeyNorm
        let kNorm: [Float]?               // (head_dim)
        let wo: QuantizedMatrix           // (heads · head_dim) → (d_model)
        let postAttentionNorm: [Float]?   // (d_model), families with postNorms
        let ffnNorm: [Float]              // (d_model)
        let gate: QuantizedMatrix         // (d_model) → (ffn)
        let up: QuantizedMatrix           // (d_model) → (ffn)
        let down: QuantizedMatrix         // (ffn) → (d_model)
        let postFFNNorm: [Float]?         // (d_model), families with postNorms
    }

    let tokenEmbedding: QuantizedMatrix   // vocab rows of d_model
    let layers: [Layer]
    let outputNorm: [Float]               // (d_model)
    let output: QuantizedMatrix           // (d_model) → (vocab); token_embd when tied
    /// Per-frequency divisors for RoPE (`rope_freqs.weight`, Llama 3.1 style), if present.
    let ropeFrequencyFactors: [Float]?
    /// Keeps the mapping alive while the views are in use.
    let file: GGUFFile

    init(file: GGUFFile, config c: ModelConfig) throws {
        self.file = file
        let d = c.embeddingLength, qDim = c.headCount * c.headDimension, kvDim = c.kvHeadCount * c.headDimension

        func problem(_ name: String, _ text: String) -> GGUFError {
            GGUFError(file: file.name, field: "tensor '\(name)'", problem: text)
        }
        func info(_ name: String, _ shape: [Int]) throws -> GGUFTensorInfo {
            guard let t = file.tensor(named: name) else { throw problem(name, "missing") }
            guard t.shape == shape else { throw problem(name, "has shape \(t.shape), expected \(shape)") }
            return t
        }
        func matrix(_ name: String, columns: Int, rows: Int) throws -> QuantizedMatrix {
            let t = try info(name, [columns, rows])
            do {
                return try QuantizedMatrix(name: name, type: t.type, rows: rows, columns: columns, base: file.data(of: t).baseAddress!)
            } catch {
                throw problem(name, "\(error)")
            }
        }
        func vector(_ name: String, _ length: Int) throws -> [Float] {
            let t = try info(name, [length])
            do { return try Quantization.dequantize(t.type, file.data(of: t), count: length) } catch {
                throw problem(name, "\(error)")
            }
        }
        func optionalVector(_ name: String, _ length: Int) throws -> [Float]? {
            file.tensor(named: name) == nil ? nil : try vector(name, length)
        }

        tokenEmbedding = try matrix("token_embd.weight", columns: d, rows: c.vocabularySize)
        outputNorm = try vector("output_norm.weight", d)
        output = file.tensor(named: "output.weight") == nil
            ? tokenEmbedding
            : try matrix("output.weight", columns: d, rows: c.vocabularySize)
        ropeFrequencyFactors = try optionalVector("rope_freqs.weight", c.ropeDimensionCount / 2)
        let f = c.family, hd = c.headDimension
        layers = try (0..<c.layerCount).map { i in
            let p = "blk.\(i)."
            return Layer(
                attentionNorm: try vector(p + "attn_norm.weight", d),
                wq: try matrix(p + "attn_q.weight", columns: d, rows: qDim),
                wk: try matrix(p + "attn_k.weight", columns: d, rows: kvDim),
                wv: try matrix(p + "attn_v.weight", columns: d, rows: kvDim),
                bq: try optionalVector(p + "attn_q.bias", qDim),
                bk: try optionalVector(p + "attn_k.bias", kvDim),
                bv: try optionalVector(p + "attn_v.bias", kvDim),
                qNorm: f.queryKeyNorm ? try vector(p + "attn_q_norm.weight", hd) : nil,
                kNorm: f.queryKeyNorm ? try vector(p + "attn_k_norm.weight", hd) : nil,
                wo: try matrix(p + "attn_output.weight", columns: qDim, rows: d),
                postAttentionNorm: f.postNorms ? try vector(p + "post_attention_norm.weight", d) : nil,
                ffnNorm: try vector(p + "ffn_norm.weight", d),
                gate: try matrix(p + "ffn_gate.weight", columns: d, rows: c.feedForwardLength),
                up: try matrix(p + "ffn_up.weight", columns: d, rows: c.feedForwardLength),
                down: try matrix(p + "ffn_down.weight", columns: c.feedForwardLength, rows: d),
                postFFNNorm: f.postNorms ? try vector(p + "post_ffw_norm.weight", d) : nil
            )
        }
    }

    /// Bytes of quantized weights the forward pass reads (the output matrix counted once).
    var matrixBytes: Int {
        let perLayer = layers.reduce(0) { s, l in
            s + [l.wq, l.wk, l.wv, l.wo, l.gate, l.up, l.down].reduce(0) { $0 + $1.byteCount }
        }
        return perLayer + output.byteCount
    }
}
