import Foundation
@testable import PagodaEngine

/// A small random llama or qwen2 model written with `GGUFWriter`, for engine tests that
/// must run fast. Matrices are quantized (Q8_0, Q4_0, Q4_K) so the real code paths run.
public enum TinyModel {
    public struct Shape: Sendable {
        public var architecture: String
        public var layers: Int
        public var embedding: Int
        public var feedForward: Int
        public var heads: Int
        public var kvHeads: Int
        public var vocabulary: Int
        public var context: Int
        public var tiedEmbeddings: Bool
        /// The stored type of an untied output matrix.
        public var outputType: GGMLType

        public init(architecture: String = "llama", layers: Int = 2, embedding: Int = 64, feedForward: Int = 96, heads: Int = 4,
                    kvHeads: Int = 2, vocabulary: Int = 80, context: Int = 512, tiedEmbeddings: Bool = true, outputType: GGMLType = .q4_0) {
            self.architecture = architecture
            self.layers = layers
            self.embedding = embedding
            self.feedForward = feedForward
            self.heads = heads
            self.kvHeads = kvHeads
            self.vocabulary = vocabulary
            self.context = context
            self.tiedEmbeddings = tiedEmbeddings
            self.outputType = outputType
        }
    }

    /// `overrides` replace metadata values after the model's own are set (for files that
    /// lie about their hyperparameters).
    public static func make(_ s: Shape = Shape(), seed: UInt32 = 1, overrides: [String: GGUFValue] = [:]) throws -> GGUFFile {
        try GGUFFile(data: serialized(s, seed: seed, overrides: overrides), name: "tiny-\(s.architecture).gguf")
    }

    /// The model's file bytes.
    public static func serialized(_ s: Shape = Shape(), seed: UInt32 = 1, overrides: [String: GGUFValue] = [:]) throws -> Data {
        var rng = XorShift32(seed: seed)
        func values(_ n: Int, scale: Float) -> [Float] { (0..<n).map { _ in rng.nextSigned() * scale } }
        var writer = GGUFWriter()
        let a = s.architecture
        writer.set("general.architecture", .string(a))
        writer.set("general.name", .string("tiny \(a)"))
        writer.set("\(a).block_count", .uint32(UInt32(s.layers)))
        writer.set("\(a).embedding_length", .uint32(UInt32(s.embedding)))
        writer.set("\(a).feed_forward_length", .uint32(UInt32(s.feedForward)))
        writer.set("\(a).attention.head_count", .uint32(UInt32(s.heads)))
        writer.set("\(a).attention.head_count_kv", .uint32(UInt32(s.kvHeads)))
        writer.set("\(a).rope.freq_base", .float32(10_000))
        writer.set("\(a).attention.layer_norm_rms_epsilon", .float32(1e-5))
        writer.set("\(a).context_length", .uint32(UInt32(s.context)))
        writer.set("tokenizer.ggml.model", .string("gpt2"))
        writer.set("tokenizer.ggml.tokens", .array(.string, (0..<s.vocabulary).map { .string("t\($0)") }))
        writer.set("tokenizer.ggml.merges", .array(.string, []))

        func add(_ name: String, _ shape: [Int], _ type: GGMLType, scale: Float) throws {
            let n = shape.reduce(1, *)
            let bytes = try Quantization.quantize(type, values(n, scale: scale))
            try writer.addTensor(name: name, shape: shape, type: type, data: Data(bytes))
        }
        func norm(_ name: String, _ n: Int) throws {
            let w = (0..<n).map { _ in 1 + 0.1 * rng.nextSigned() }
            try writer.addTensor(name: name, shape: [n], type: .f32, data: Data(w.withUnsafeBytes(Array.init)))
        }
        let d = s.embedding, hd = s.embedding / s.heads, kvDim = s.kvHeads * hd
        try add("token_embd.weight", [d, s.vocabulary], .q8_0, scale: 1)
        try norm("output_norm.weight", d)
        if !s.tiedEmbeddings { try add("output.weight", [d, s.vocabulary], s.outputType, scale: 0.5) }
        for l in 0..<s.layers {
            let p = "blk.\(l)."
            try norm(p + "attn_norm.weight", d)
            try add(p + "attn_q.weight", [d, d], .q8_0, scale: 0.3)
            try add(p + "attn_k.weight", [d, kvDim], .q8_0, scale: 0.3)
            try add(p + "attn_v.weight", [d, kvDim], .q4_0, scale: 0.3)
            if a == "qwen2" {
                try add(p + "attn_q.bias", [d], .f32, scale: 0.1)
                try add(p + "attn_k.bias", [kvDim], .f32, scale: 0.1)
                try add(p + "attn_v.bias", [kvDim], .f32, scale: 0.1)
            }
            try add(p + "attn_output.weight", [d, d], .q8_0, scale: 0.2)
            try norm(p + "ffn_norm.weight", d)
            try add(p + "ffn_gate.weight", [d, s.feedForward], .q8_0, scale: 0.3)
            try add(p + "ffn_up.weight", [d, s.feedForward], .q4_0, scale: 0.3)
            try add(p + "ffn_down.weight", [s.feedForward, d], .q8_0, scale: 0.2)
        }
        for (key, value) in overrides { writer.set(key, value) }
        return writer.serialize()
    }
}
