import Foundation
import XCTest
@testable import PagodaEngine

/// A file whose hyperparameters lie about its tensors is refused with one message naming
/// the key (and the tensor), before anything is allocated by them. Before, a `block_count`
/// of 2^31 aborted with "failed to allocate 1168231104544 bytes".
final class ModelValidationTests: XCTestCase {
    /// The key set, its lying value, and what the message says (naming `key`, or the key in
    /// `names` where another count is the one found inconsistent).
    static let cases: [(key: String, value: GGUFValue, mentions: String, names: String?)] = [
        ("llama.block_count", .uint32(1 << 31), "more than the 1024", nil),
        ("llama.block_count", .uint32(3), "holds tensors for 2 layers", nil),
        ("llama.block_count", .uint32(0), "must be positive", nil),
        ("llama.block_count", .uint64(UInt64.max), "expected an integer", nil),
        ("llama.embedding_length", .uint32(1 << 30), "more than", nil),
        ("llama.embedding_length", .uint32(128), "token_embd.weight", nil),
        ("llama.feed_forward_length", .uint32(97), "ffn_gate.weight", nil),
        ("llama.feed_forward_length", .uint64(1 << 40), "more than", nil),
        ("llama.attention.head_count", .uint32(3), "does not divide", "llama.attention.head_count_kv"),
        ("llama.attention.head_count", .uint32(8), "blk.0.attn_k.weight", "llama.attention.head_count_kv"),  // named by its KV heads
        ("llama.attention.head_count", .uint32(1 << 20), "more than", nil),
        ("llama.attention.head_count_kv", .uint32(0), "must be positive", nil),
        ("llama.attention.head_count_kv", .uint32(4), "blk.0.attn_k.weight", nil),
        ("llama.attention.key_length", .uint32(1 << 20), "head dimension", nil),
        ("llama.attention.key_length", .uint32(8), "head dimension 8", "llama.attention.head_count"),
        ("llama.context_length", .uint64(1 << 40), "more than", nil),
        ("llama.vocab_size", .uint32(81), "token_embd.weight", nil),
        ("llama.vocab_size", .uint64(1 << 40), "more than", nil),
        ("llama.rope.freq_base", .float32(.infinity), "finite", nil),
        ("llama.attention.layer_norm_rms_epsilon", .float32(-1), "[0, 1)", nil),
    ]

    func testEveryLyingHyperparameterIsNamedBeforeAllocation() throws {
        for (key, value, mentions, names) in Self.cases {
            let file = try TinyModel.make(overrides: [key: value])
            XCTAssertThrowsError(try LanguageModel(file: file), "\(key) = \(value)") { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains("metadata '\(names ?? key)'") && text.contains(mentions), "\(key) = \(value): \(text)")
            }
            // `pagoda info` refuses the same file the same way.
            XCTAssertThrowsError(try ModelSummary(file: file), "info: \(key) = \(value)")
        }
    }

    func testAnHonestFileLoads() throws {
        XCTAssertNoThrow(try LanguageModel(file: TinyModel.make()))
        XCTAssertNoThrow(try LanguageModel(file: TinyModel.make(TinyModel.Shape(architecture: "qwen2"))))
    }

    func testTheDisplayNameIsReadable() {
        var m = GGUFMetadata(source: "x")
        m.set("general.name", .string("Qwen2.5 Coder 0.5B Instruct AWQ"))
        m.set("general.basename", .string("Qwen2.5-Coder"))
        m.set("general.size_label", .string("0.5B"))
        m.set("general.finetune", .string("Instruct"))
        XCTAssertEqual(ModelSummary.displayName(fileName: "Qwen2.5-Coder-0.5B-Instruct.gguf", metadata: m, fallback: "n"), "Qwen2.5-Coder-0.5B-Instruct")
        XCTAssertEqual(ModelSummary.displayName(fileName: "model.gguf", metadata: m, fallback: "n"), "Qwen2.5-Coder 0.5B Instruct")
        XCTAssertEqual(ModelSummary.displayName(fileName: "model.gguf", metadata: GGUFMetadata(), fallback: nil), "model")
    }
}
