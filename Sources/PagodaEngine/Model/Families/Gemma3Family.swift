import Foundation

/// Gemma 3: embeddings scaled by √d_model; q/k head norms; norms after attention and the
/// feed-forward as well as before; a GELU-gated feed-forward; RoPE on halves. Five of every
/// six layers attend to a sliding window (`gemma3.attention.sliding_window`) with RoPE base
/// 10000, the sixth to everything with the file's base. The file's norm weights already
/// hold Gemma's `1 + w` (the converter adds the 1), so the norms are plain RMSNorm.
enum Gemma3Family: ModelFamily {
    static let architectures = ["gemma3"]
    /// Layers per group of sliding layers and one global, when the file does not say.
    static let defaultPattern = 6
    /// RoPE base of the sliding layers, when the file does not say.
    static let defaultSlidingRopeBase: Float = 10_000

    static func traits(_ m: GGUFMetadata, key: (String) -> String) throws -> FamilyTraits {
        var t = FamilyTraits()
        t.ropePairing = .halves
        t.queryKeyNorm = true
        t.postNorms = true
        t.activation = .geluTanh
        t.embeddingScale = Float(try m.int(key("embedding_length"))).squareRoot()
        t.slidingWindow = try LlamaFamily.slidingWindow(m, key: key)
        t.slidingWindowPattern = try m.int(key("attention.sliding_window_pattern"), default: defaultPattern)
        t.slidingRopeBase = try m.float(key("rope.freq_base_swa"), default: defaultSlidingRopeBase)
        return t
    }
}
