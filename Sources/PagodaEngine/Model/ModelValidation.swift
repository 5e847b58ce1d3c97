/// The hyperparameters of a model checked against the tensors its file actually holds,
/// before anything is allocated by them. `ModelConfig` bounds each count on its own; this
/// ties the counts the file does not bound (layers, heads, embedding, feed-forward, vocabulary)
/// to the shapes of the tensors that must match them, with a message naming both the key
/// and the tensor. Costs a few dictionary lookups per layer; allocates nothing per layer.
public enum ModelValidation {
    public static func check(_ c: ModelConfig, against file: GGUFFile) throws {
        let arch = c.architecture
        func mismatch(_ key: String, _ text: String) -> GGUFError {
            GGUFError(file: file.name, field: "metadata '\(arch).\(key)'", problem: text)
        }
        func shape(_ name: String) throws -> [Int] {
            guard let t = file.tensor(named: name) else {
                throw GGUFError(file: file.name, field: "tensor '\(name)'", problem: "missing")
            }
            return t.shape
        }

        // Layers: blk.0 … blk.(n-1) must all be present, and no more than the file holds.
        let present = layersPresent(in: file)
        guard c.layerCount <= present else {
            throw mismatch("block_count", "is \(c.layerCount), but the file holds tensors for \(present) layer\(present == 1 ? "" : "s") (blk.0 …)")
        }

        // Embedding and vocabulary: token_embd is (d_model, vocab).
        let embedding = try shape("token_embd.weight")
        guard embedding.count == 2, embedding[0] == c.embeddingLength else {
            throw mismatch("embedding_length", "is \(c.embeddingLength), but tensor 'token_embd.weight' has shape \(embedding)")
        }
        guard embedding[1] == c.vocabularySize else {
            throw mismatch("vocab_size", "the vocabulary is \(c.vocabularySize) tokens, but tensor 'token_embd.weight' has \(embedding[1]) rows")
        }

        // Heads and feed-forward, against every layer's projections.
        let qRows = c.headCount * c.headDimension, kvRows = c.kvHeadCount * c.headDimension
        for i in 0..<c.layerCount {
            let p = "blk.\(i)."
            let q = try shape(p + "attn_q.weight"), k = try shape(p + "attn_k.weight"), gate = try shape(p + "ffn_gate.weight")
            guard q == [c.embeddingLength, qRows] else {
                throw mismatch("attention.head_count", "\(c.headCount) heads × head dimension \(c.headDimension) = \(qRows) rows, but tensor '\(p)attn_q.weight' has shape \(q)")
            }
            guard k == [c.embeddingLength, kvRows] else {
                throw mismatch("attention.head_count_kv", "\(c.kvHeadCount) KV heads × head dimension \(c.headDimension) = \(kvRows) rows, but tensor '\(p)attn_k.weight' has shape \(k)")
            }
            guard gate == [c.embeddingLength, c.feedForwardLength] else {
                throw mismatch("feed_forward_length", "is \(c.feedForwardLength), but tensor '\(p)ffn_gate.weight' has shape \(gate)")
            }
        }
    }

    /// How many consecutive layers `blk.0`, `blk.1`, … have tensors in `file`.
    static func layersPresent(in file: GGUFFile) -> Int {
        var indices = Set<Int>()
        for t in file.tensors where t.name.hasPrefix("blk.") {
            let rest = t.name.dropFirst(4)
            if let dot = rest.firstIndex(of: "."), let i = Int(rest[..<dot]), i >= 0 { indices.insert(i) }
        }
        var n = 0
        while indices.contains(n) { n += 1 }
        return n
    }
}
