import Foundation
import PagodaEngine

/// The starting inputs of each fuzz target (`Tests/FuzzCorpus/<target>/`), written by
/// `pagoda-fuzz --write-seeds DIR`: small valid models of both architectures, texts that
/// stress the pre-tokenizers, and templates from plain to hostile. The fuzzer mutates
/// them; the corpus replay test runs each through its target.
public enum SeedCorpus {
    public static func write(to folder: URL) throws {
        func put(_ target: FuzzTarget, _ name: String, _ data: Data) throws {
            let dir = folder.appendingPathComponent(target.rawValue)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try data.write(to: dir.appendingPathComponent(name))
        }
        for architecture in ["llama", "qwen2"] {
            let model = try tinyModel(architecture)
            try put(.gguf, "tiny-\(architecture).gguf", model)
            try put(.model, "tiny-\(architecture).gguf", model)
        }
        for (name, text) in texts { try put(.tokenizer, name, Data(text.utf8)) }
        try put(.tokenizer, "invalid-utf8.bin", Data([0x61, 0xFF, 0xC3, 0x28, 0xE2, 0x82, 0xF0, 0x9F, 0x98, 0x20, 0x80]))
        for (name, source) in templates { try put(.template, name, Data(source.utf8)) }
    }

    static let texts: [(String, String)] = [
        ("english.txt", "The quick brown fox jumps over the lazy dog. It's 2026; don't you think?\n"),
        ("mixed.txt", "naïve café — 東京 🙂 e\u{301} 1234567  \t\n\n   x"),
        ("specials.txt", "<|endoftext|>hi<|endoftext|>"),
        ("code.txt", "func f(x: Int) -> Int {\n    return x * 2 // double\n}\n"),
    ]

    static let templates: [(String, String)] = [
        ("chatml.jinja", "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"),
        ("system-default.jinja", "{% if messages[0].role != 'system' %}{{ 'You are helpful.' }}{% endif %}{% for m in messages %}{{ m.role | upper }}: {{ m.content | trim }}\n{% endfor %}"),
        ("namespace.jinja", "{% set ns = namespace(n=0, last='') %}{% for m in messages if m.role == 'user' %}{% set ns.n = ns.n + 1 %}{% set ns.last = m.content %}{% endfor %}{{ ns.n }} {{ ns.last }}"),
        ("macros.jinja", "{% macro show(v, depth=0) %}{% if v is mapping %}{% for k, x in v.items() %}{{ k }}={{ show(x, depth + 1) }};{% endfor %}{% else %}{{ v | tojson }}{% endif %}{% endmacro %}{% for m in messages %}{{ show(m) }}{% endfor %}"),
        ("filters.jinja", "{{ messages | map(attribute='role') | join(', ') }} {{ messages | selectattr('role', 'equalto', 'user') | list | length }} {{ 'a,b,c'.split(',') | reverse | join }} {{ range(3) | sum }} {{ '%s-%d' % ('x', 3) }}"),
        ("raise.jinja", "{% if messages | length > 2 %}{{ raise_exception('too many') }}{% endif %}"),
        ("recursion.jinja", "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}"),
        ("loops.jinja", "{% for a in range(100) %}{% for b in range(100) %}{{ a * b }}{% endfor %}{% endfor %}"),
        ("power.jinja", "{{ 10 ** 10 ** 10 }} {{ 'x' * 10 ** 10 }}"),
    ]

    /// A one-layer model of `architecture` with F32 weights (so every field is plain to
    /// mutate): d_model 32, 2 heads, 1 KV head, feed-forward 32, 16 tokens.
    static func tinyModel(_ architecture: String) throws -> Data {
        let d = 32, ffn = 32, heads = 2, kvHeads = 1, vocabulary = 16, headDim = d / heads
        var writer = GGUFWriter()
        let a = architecture
        writer.set("general.architecture", .string(a))
        writer.set("\(a).block_count", .uint32(1))
        writer.set("\(a).embedding_length", .uint32(UInt32(d)))
        writer.set("\(a).feed_forward_length", .uint32(UInt32(ffn)))
        writer.set("\(a).attention.head_count", .uint32(UInt32(heads)))
        writer.set("\(a).attention.head_count_kv", .uint32(UInt32(kvHeads)))
        writer.set("\(a).context_length", .uint32(64))
        writer.set("tokenizer.ggml.model", .string("gpt2"))
        writer.set("tokenizer.ggml.tokens", .array(.string, (0..<vocabulary).map { .string("t\($0)") }))
        writer.set("tokenizer.ggml.merges", .array(.string, []))
        writer.set("tokenizer.chat_template", .string(templates[0].1))
        var seed: UInt32 = 1
        func tensor(_ name: String, _ shape: [Int]) throws {
            let values: [Float] = (0..<shape.reduce(1, *)).map { _ in
                seed = seed &* 1_664_525 &+ 1_013_904_223
                return Float(Int32(bitPattern: seed >> 8) - (1 << 23)) / Float(1 << 25)
            }
            try writer.addTensor(name: name, shape: shape, type: .f32, data: values.withUnsafeBytes { Data($0) })
        }
        try tensor("token_embd.weight", [d, vocabulary])
        try tensor("output_norm.weight", [d])
        try tensor("blk.0.attn_norm.weight", [d])
        try tensor("blk.0.attn_q.weight", [d, heads * headDim])
        try tensor("blk.0.attn_k.weight", [d, kvHeads * headDim])
        try tensor("blk.0.attn_v.weight", [d, kvHeads * headDim])
        if a == "qwen2" {
            try tensor("blk.0.attn_q.bias", [heads * headDim])
            try tensor("blk.0.attn_k.bias", [kvHeads * headDim])
            try tensor("blk.0.attn_v.bias", [kvHeads * headDim])
        }
        try tensor("blk.0.attn_output.weight", [heads * headDim, d])
        try tensor("blk.0.ffn_norm.weight", [d])
        try tensor("blk.0.ffn_gate.weight", [d, ffn])
        try tensor("blk.0.ffn_up.weight", [d, ffn])
        try tensor("blk.0.ffn_down.weight", [ffn, d])
        return writer.serialize()
    }
}
